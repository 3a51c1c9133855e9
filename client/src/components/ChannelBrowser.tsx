import { useEffect, useState, useSyncExternalStore, type FormEvent } from "react";

import type { Api } from "../lib/api";
import type { ChatController } from "../lib/chat-controller";
import type { PublicChannel } from "../lib/types";
import { Modal } from "./Dialog";

export function ChannelBrowser({ api, controller, onClose }: { api: Api; controller: ChatController; onClose: () => void }) {
  const [channels, setChannels] = useState<PublicChannel[]>([]);
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [name, setName] = useState("");
  const [topic, setTopic] = useState("");
  const [visibility, setVisibility] = useState<"public" | "private">("public");
  // Channels I am in change live while the browser is open (renamed, archived): shown as they are now.
  const { conversations } = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const shown = channels.flatMap((c) => {
    const mine = conversations.find((x) => x.id === c.id);
    if (!mine) return [c];
    return mine.archived ? [] : [{ ...c, name: mine.name ?? c.name, topic: mine.topic }];
  });

  const load = async (after?: string) => {
    try {
      const page = await api.publicChannels(after);
      setChannels((prev) => (after ? [...prev, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch {
      controller.toast("Could not list channels", "error");
    }
  };
  useEffect(() => {
    void load();
    // Loaded once, when the browser opens.
  }, []);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    if (await controller.createChannel(name, visibility, topic)) onClose();
  };

  return (
    <Modal label="Channels" onClose={onClose} testId="channel-browser">
        <header>
          <h3>Channels</h3>
          <button className="link" onClick={onClose}>
            Close
          </button>
        </header>
        <ul className="channel-list">
          {shown.map((c) => (
            <li key={c.id}>
              <span>
                <strong>#{c.name}</strong> {c.topic && <span className="muted">— {c.topic}</span>}
              </span>
              {c.joined ? (
                <span className="muted">joined</span>
              ) : (
                <button
                  onClick={() => {
                    void controller.join(c.id);
                    onClose();
                  }}
                  data-testid={`join-${c.name}`}
                >
                  Join
                </button>
              )}
            </li>
          ))}
        </ul>
        {cursor && <button onClick={() => void load(cursor)}>More</button>}
        <form onSubmit={create} className="create-channel">
          <h4>Create a channel</h4>
          <input placeholder="name (lowercase, no spaces)" aria-label="Channel name" value={name} onChange={(e) => setName(e.target.value)} required data-testid="new-channel-name" />
          <input placeholder="topic (optional)" aria-label="Topic (optional)" value={topic} onChange={(e) => setTopic(e.target.value)} />
          <select aria-label="Visibility" value={visibility} onChange={(e) => setVisibility(e.target.value === "private" ? "private" : "public")} data-testid="new-channel-visibility">
            <option value="public">Public</option>
            <option value="private">Private</option>
          </select>
          <button type="submit" data-testid="create-channel">
            Create
          </button>
        </form>
    </Modal>
  );
}

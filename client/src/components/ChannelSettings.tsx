import { useState, type FormEvent } from "react";

import type { ConversationSummary } from "../lib/types";
import { Modal } from "./Dialog";

/** Matches the server's limit (shared/src/domain/values.rs `Topic`). */
const MAX_TOPIC_CHARS = 250;
const MAX_NAME_CHARS = 80;

export type SettingsField = "name" | "topic";

/** A channel's details for those who may manage it: rename, edit the topic, archive or
 * unarchive. Each save closes the dialog (focus goes back where it was); a refusal keeps it open
 * with what was typed. */
export function ChannelSettings({
  channel,
  focus,
  onRename,
  onTopic,
  onArchive,
  onUnarchive,
  onClose,
}: {
  channel: ConversationSummary;
  /** The field that takes the keyboard when the dialog opens. */
  focus: SettingsField;
  onRename: (name: string) => Promise<boolean>;
  onTopic: (topic: string) => Promise<boolean>;
  /** Asks to archive (the page confirms first). */
  onArchive: () => void;
  onUnarchive: () => Promise<boolean>;
  onClose: () => void;
}) {
  const [name, setName] = useState(channel.name ?? "");
  const [topic, setTopic] = useState(channel.topic ?? "");
  const [busy, setBusy] = useState(false);
  const archived = Boolean(channel.archived);

  const run = async (action: () => Promise<boolean>) => {
    setBusy(true);
    const done = await action();
    setBusy(false);
    if (done) onClose();
  };
  const save = (action: () => Promise<boolean>) => (e: FormEvent) => {
    e.preventDefault();
    void run(action);
  };

  return (
    <Modal label={`#${channel.name ?? ""} settings`} onClose={onClose} testId="channel-settings">
      <header>
        <h3>#{channel.name} settings</h3>
        <button className="link" onClick={onClose}>
          Close
        </button>
      </header>
      {archived ? (
        <p className="muted">This channel is archived: unarchive it to rename it or edit its topic.</p>
      ) : (
        <>
          <form className="settings-field" onSubmit={save(() => onRename(name))}>
            <label htmlFor="channel-settings-name">Channel name</label>
            <div className="settings-row">
              <input
                id="channel-settings-name"
                value={name}
                maxLength={MAX_NAME_CHARS}
                required
                onChange={(e) => setName(e.target.value)}
                data-autofocus={focus === "name" ? true : undefined}
                aria-describedby="channel-settings-name-hint"
                data-testid="channel-name-input"
              />
              <button type="submit" disabled={busy} data-testid="rename-channel">
                Rename
              </button>
            </div>
            <small id="channel-settings-name-hint" className="muted">
              Lowercase letters, digits, - and _; no spaces.
            </small>
          </form>
          <form className="settings-field" onSubmit={save(() => onTopic(topic))}>
            <label htmlFor="channel-settings-topic">Topic</label>
            <div className="settings-row">
              <input
                id="channel-settings-topic"
                value={topic}
                maxLength={MAX_TOPIC_CHARS}
                placeholder="What is this channel about? (empty: no topic)"
                onChange={(e) => setTopic(e.target.value)}
                data-autofocus={focus === "topic" ? true : undefined}
                data-testid="channel-topic-input"
              />
              <button type="submit" disabled={busy} data-testid="save-topic">
                Save topic
              </button>
            </div>
          </form>
        </>
      )}
      <div className="settings-field">
        {archived ? (
          <button type="button" disabled={busy} onClick={() => void run(onUnarchive)} data-autofocus data-testid="unarchive-channel">
            Unarchive channel
          </button>
        ) : (
          <>
            <button
              type="button"
              className="danger"
              onClick={() => {
                onClose();
                onArchive();
              }}
              data-testid="archive-channel"
            >
              Archive channel
            </button>
            <small className="muted">Nobody can post in an archived channel; its members can still read and search it.</small>
          </>
        )}
      </div>
    </Modal>
  );
}

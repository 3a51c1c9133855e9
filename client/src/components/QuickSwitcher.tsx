import { useEffect, useMemo, useRef, useState } from "react";

import type { Api } from "../lib/api";
import { conversationChoices, normalizeQuery, personChoices, rankChoices, type SwitcherChoice } from "../lib/switcher";
import type { ConversationSummary, UserProfile } from "../lib/types";
import { Modal } from "./Dialog";

/** Ctrl+K (Cmd+K on a Mac) opens the switcher from anywhere on the page, the composer included
 * (the browser's own Ctrl+K, its address bar search, is not wanted here). */
export function useQuickSwitcherKey(open: () => void): void {
  const latest = useRef(open);
  latest.current = open;
  useEffect(() => {
    const key = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        // Not over another dialog: one modal at a time, as Escape closes one at a time.
        if (!document.querySelector("dialog[open]")) latest.current();
      }
    };
    // Capture: before any field's own key handling.
    document.addEventListener("keydown", key, true);
    return () => document.removeEventListener("keydown", key, true);
  }, []);
}

interface Props {
  api: Api;
  me: string;
  conversations: ConversationSummary[];
  activeId: string | null;
  onOpen: (conversationId: string) => void;
  /** A person without a DM with me yet: the DM opens (made on the way). */
  onOpenDm: (userId: string) => void;
  onClose: () => void;
}

const LIST_ID = "switcher-choices";

/** "Jump to…": a combobox (ARIA 1.2) over my channels and DMs and the tenant's people, matched
 * by name or handle; arrows move, Enter opens, Escape closes and gives focus back. */
export function QuickSwitcher({ api, me, conversations, activeId, onOpen, onOpenDm, onClose }: Props) {
  const [query, setQuery] = useState("");
  const [people, setPeople] = useState<UserProfile[]>([]);
  const [selected, setSelected] = useState(0);
  const latest = useRef("");
  useEffect(() => {
    const q = normalizeQuery(query);
    latest.current = q;
    if (!q) {
      setPeople([]);
      return;
    }
    api.users(q).then(
      // A slower answer to an earlier query must not replace a newer one.
      ({ items }) => latest.current === q && setPeople(items),
      () => latest.current === q && setPeople([]),
    );
  }, [api, query]);
  const choices = useMemo(
    () => rankChoices([...conversationChoices(conversations, me), ...personChoices(people, conversations, me)], query, activeId),
    [conversations, people, me, query, activeId],
  );
  const current = choices[Math.min(selected, choices.length - 1)];
  const choose = (c: SwitcherChoice) => (c.kind === "conversation" ? onOpen(c.id) : onOpenDm(c.id));
  const optionId = (c: SwitcherChoice) => `${LIST_ID}-${c.kind}-${c.id}`;
  useEffect(() => {
    if (current) document.getElementById(optionId(current))?.scrollIntoView({ block: "nearest" });
  }, [current]);
  return (
    <Modal label="Jump to a conversation" onClose={onClose} testId="quick-switcher">
      <div className="switcher">
        <h3 id="switcher-title">Jump to…</h3>
        <input
          data-autofocus
          type="text"
          role="combobox"
          aria-labelledby="switcher-title"
          aria-autocomplete="list"
          aria-expanded={choices.length > 0}
          aria-controls={LIST_ID}
          aria-activedescendant={current ? optionId(current) : undefined}
          placeholder="A channel, a person, a DM"
          value={query}
          autoComplete="off"
          spellCheck={false}
          onChange={(e) => {
            setQuery(e.target.value);
            setSelected(0);
          }}
          onKeyDown={(e) => {
            if (e.key === "ArrowDown" && choices.length > 0) {
              e.preventDefault();
              setSelected((i) => (Math.min(i, choices.length - 1) + 1) % choices.length);
            } else if (e.key === "ArrowUp" && choices.length > 0) {
              e.preventDefault();
              setSelected((i) => (Math.min(i, choices.length - 1) - 1 + choices.length) % choices.length);
            } else if (e.key === "Enter" && current) {
              e.preventDefault();
              choose(current);
            }
          }}
          data-testid="switcher-input"
        />
        <ul className="switcher-choices" role="listbox" id={LIST_ID} aria-label="Conversations and people" hidden={choices.length === 0}>
          {choices.map((c) => (
            <li
              key={`${c.kind}-${c.id}`}
              id={optionId(c)}
              role="option"
              aria-selected={c === current}
              className={`${c === current ? "selected" : ""} ${c.unread > 0 ? "unread" : ""}`}
              // The input keeps the keyboard: a click picks without moving focus.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => choose(c)}
              data-testid="switcher-choice"
              data-kind={c.kind}
              data-id={c.id}
            >
              <span className="switcher-title">{c.title}</span>
              {c.isPrivate && <span className="muted"> · private</span>}
              {c.detail && <span className="muted"> {c.detail}</span>}
              {c.kind === "person" && <span className="muted switcher-kind"> · new message</span>}
              {c.mentions > 0 ? <span className="badge mention">@{c.mentions}</span> : c.unread > 0 && <span className="badge">{c.unread}</span>}
            </li>
          ))}
        </ul>
        {choices.length === 0 && (
          <p className="muted switcher-none" role="status" data-testid="switcher-none">
            {query.trim() ? `Nothing matches “${query.trim()}”.` : "No conversations yet."}
          </p>
        )}
        <p className="muted switcher-hint" aria-hidden="true">
          ↑ ↓ to move · Enter to open · Esc to close
        </p>
      </div>
    </Modal>
  );
}

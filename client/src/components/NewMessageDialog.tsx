import { useRef, useState } from "react";

import type { Api } from "../lib/api";
import { MAX_DM_PEOPLE } from "../lib/dm-names";
import { add, emptyPicker, isFull, onKey, remove, withQuery, withResults, type PickerState } from "../lib/people-picker";
import type { UserProfile } from "../lib/types";
import { Modal } from "./Dialog";

/** "New message": pick one person (a DM) or several (a group DM of up to eight with me), then
 * open it. Keyboard: type to search, arrows move, Enter adds, Backspace in the empty box removes
 * the last person, Enter in the empty box (or the button) opens the conversation. */
export function NewMessageDialog({
  api,
  me,
  initial = [],
  onOpen,
  onClose,
}: {
  api: Api;
  me: string;
  /** Already chosen (adding people to a DM starts a new one with everyone in it). */
  initial?: UserProfile[];
  /** Opens the DM with these people; resolves true once it is open. */
  onOpen: (userIds: string[]) => Promise<boolean>;
  onClose: () => void;
}) {
  const [picker, setPicker] = useState<PickerState>(() => emptyPicker(initial.filter((u) => u.id !== me)));
  const [opening, setOpening] = useState(false);
  // What the last change was, for a screen reader (chips come and go without focus moving).
  const [said, setSaid] = useState("");
  const latest = useRef(picker);
  latest.current = picker;
  const input = useRef<HTMLInputElement>(null);

  const update = (next: PickerState) => {
    const before = latest.current;
    latest.current = next;
    setPicker(next);
    const added = next.chosen.find((u) => !before.chosen.some((b) => b.id === u.id));
    const removed = before.chosen.find((u) => !next.chosen.some((n) => n.id === u.id));
    if (added) setSaid(`${added.displayName} added, ${next.chosen.length} chosen`);
    else if (removed) setSaid(`${removed.displayName} removed, ${next.chosen.length} chosen`);
  };
  const search = async (query: string) => {
    update(withQuery(latest.current, query));
    if (!query.trim() || isFull(latest.current)) return;
    try {
      const { items } = await api.users(query.trim());
      update(withResults(latest.current, query, items, me));
    } catch {
      update(withResults(latest.current, query, [], me));
    }
  };
  const open = async () => {
    const ids = latest.current.chosen.map((u) => u.id);
    if (ids.length === 0 || opening) return;
    setOpening(true);
    if (await onOpen(ids)) onClose();
    else setOpening(false);
  };

  const listId = "new-message-results";
  const { chosen, query, results, highlighted } = picker;
  const full = isFull(picker);
  const active = results[highlighted];
  return (
    <Modal label="New message" onClose={onClose} testId="new-message-dialog">
      <header>
        <h3>New message</h3>
        <button className="link" onClick={onClose}>
          Close
        </button>
      </header>
      <form
        className="new-message"
        onSubmit={(e) => {
          e.preventDefault();
          void open();
        }}
      >
        <label htmlFor="new-message-to">To</label>
        <div className="people-field" onClick={() => input.current?.focus()}>
          <ul className="people-chips" aria-label="People chosen" data-testid="chosen-people">
            {chosen.map((u) => (
              <li key={u.id} className="person-chip" data-testid="person-chip">
                <span>{u.displayName}</span>
                <button
                  type="button"
                  className="chip-remove"
                  aria-label={`Remove ${u.displayName}`}
                  onClick={() => {
                    update(remove(latest.current, u.id));
                    input.current?.focus();
                  }}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
          <input
            id="new-message-to"
            ref={input}
            data-autofocus
            value={query}
            placeholder={full ? `${MAX_DM_PEOPLE} people is the most` : chosen.length ? "Add someone else…" : "Type a name…"}
            role="combobox"
            aria-autocomplete="list"
            aria-expanded={results.length > 0}
            aria-controls={listId}
            aria-activedescendant={active ? `${listId}-${active.id}` : undefined}
            aria-describedby="new-message-hint"
            autoComplete="off"
            onChange={(e) => void search(e.target.value)}
            onKeyDown={(e) => {
              const { state, handled, submit } = onKey(latest.current, e.key);
              if (!handled) return;
              e.preventDefault();
              // The dialog must not take this Escape as its own (native <dialog> cancels on it).
              e.nativeEvent.preventDefault();
              update(state);
              if (submit) void open();
            }}
            data-testid="new-message-to"
          />
        </div>
        {results.length > 0 && (
          <ul className="picker-results" role="listbox" id={listId} aria-label="Matching people">
            {results.map((u, i) => (
              <li key={u.id} role="option" id={`${listId}-${u.id}`} aria-selected={i === highlighted} className={i === highlighted ? "selected" : ""}>
                <button
                  type="button"
                  tabIndex={-1}
                  onMouseDown={(e) => e.preventDefault()}
                  onClick={() => {
                    update(add(latest.current, u));
                    input.current?.focus();
                  }}
                  data-testid={`add-${u.id}`}
                >
                  {u.displayName} <span className="muted">@{u.handle}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <p id="new-message-hint" className="muted">
          {full
            ? `A conversation holds at most ${MAX_DM_PEOPLE} people, you included.`
            : "One person for a direct message, up to seven for a group. Enter adds; Backspace removes the last."}
        </p>
        <p className="people-picker-status" role="status">
          {said}
        </p>
        <div className="confirm-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" disabled={chosen.length === 0 || opening} data-testid="new-message-open">
            {chosen.length > 1 ? "Start group conversation" : "Open conversation"}
          </button>
        </div>
      </form>
    </Modal>
  );
}

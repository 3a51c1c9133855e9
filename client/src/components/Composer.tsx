import { useRef, useState, type KeyboardEvent } from "react";

import type { Api } from "../lib/api";
import { insertMention, mentionedIds, mentionQueryAt } from "../lib/mentions";
import type { UserProfile } from "../lib/types";

const MAX_CHARS = 40_000;

interface Props {
  api: Api;
  me: string;
  placeholder: string;
  onSend: (body: string, mentions: string[]) => void;
  onPicked: (users: UserProfile[]) => void;
}

/** Enter sends, Shift+Enter starts a new line; `@` opens people autocomplete (arrows, Enter or
 * Tab picks, Esc closes). Mentions go to the server as user ids beside the text. */
export function Composer({ api, me, placeholder, onSend, onPicked }: Props) {
  const [text, setText] = useState("");
  const [picked, setPicked] = useState<UserProfile[]>([]);
  const [suggestions, setSuggestions] = useState<UserProfile[]>([]);
  const [highlight, setHighlight] = useState(0);
  const [mention, setMention] = useState<{ start: number; query: string } | null>(null);
  const area = useRef<HTMLTextAreaElement>(null);
  const lookup = useRef(0);

  const send = () => {
    if (!text.trim() || [...text].length > MAX_CHARS) return;
    onSend(text, mentionedIds(text, picked));
    setText("");
    setPicked([]);
    closeSuggestions();
  };

  const closeSuggestions = () => {
    setMention(null);
    setSuggestions([]);
    setHighlight(0);
  };

  const update = (value: string, caret: number) => {
    setText(value);
    const at = mentionQueryAt(value, caret);
    setMention(at);
    if (!at) {
      setSuggestions([]);
      return;
    }
    const ticket = ++lookup.current;
    api
      .users(at.query)
      .then(({ items }) => {
        if (ticket !== lookup.current) return;
        setSuggestions(items.filter((u) => u.id !== me).slice(0, 8));
        setHighlight(0);
      })
      .catch(() => setSuggestions([]));
  };

  const pick = (user: UserProfile) => {
    const el = area.current;
    if (!mention || !el) return;
    const next = insertMention(text, mention.start, el.selectionStart, user.handle);
    setText(next.text);
    setPicked((p) => (p.some((u) => u.id === user.id) ? p : [...p, user]));
    onPicked([user]);
    closeSuggestions();
    requestAnimationFrame(() => {
      el.focus();
      el.setSelectionRange(next.caret, next.caret);
    });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (mention && suggestions.length > 0) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const step = e.key === "ArrowDown" ? 1 : -1;
        setHighlight((h) => (h + step + suggestions.length) % suggestions.length);
        return;
      }
      if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        const user = suggestions[highlight];
        if (user) pick(user);
        return;
      }
      if (e.key === "Escape") {
        e.preventDefault();
        closeSuggestions();
        return;
      }
    }
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };
  const over = [...text].length > MAX_CHARS;
  return (
    <div className="composer">
      {mention && suggestions.length > 0 && (
        <ul className="autocomplete" role="listbox" data-testid="autocomplete">
          {suggestions.map((u, i) => (
            <li key={u.id} role="option" aria-selected={i === highlight} className={i === highlight ? "selected" : ""}>
              <button onMouseDown={(e) => e.preventDefault()} onClick={() => pick(u)} data-testid={`suggest-${u.id}`}>
                <strong>{u.displayName}</strong> <span className="muted">@{u.handle}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <textarea
        ref={area}
        value={text}
        onChange={(e) => update(e.target.value, e.target.selectionStart)}
        onKeyDown={onKeyDown}
        onBlur={() => setTimeout(closeSuggestions, 150)}
        placeholder={placeholder}
        rows={2}
        data-testid="composer"
        aria-label="Message"
      />
      <button onClick={send} disabled={!text.trim() || over} data-testid="send">
        Send
      </button>
      {over && <span className="error">Messages are limited to {MAX_CHARS.toLocaleString()} characters.</span>}
    </div>
  );
}

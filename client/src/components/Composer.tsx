import { useState, type KeyboardEvent } from "react";

const MAX_CHARS = 40_000;

/** Enter sends, Shift+Enter starts a new line. */
export function Composer({ placeholder, onSend }: { placeholder: string; onSend: (body: string) => void }) {
  const [text, setText] = useState("");
  const send = () => {
    if (!text.trim() || [...text].length > MAX_CHARS) return;
    onSend(text);
    setText("");
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };
  const over = [...text].length > MAX_CHARS;
  return (
    <div className="composer">
      <textarea value={text} onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} placeholder={placeholder} rows={2} data-testid="composer" aria-label="Message" />
      <button onClick={send} disabled={!text.trim() || over} data-testid="send">
        Send
      </button>
      {over && <span className="error">Messages are limited to {MAX_CHARS.toLocaleString()} characters.</span>}
    </div>
  );
}

import { useEffect, useRef, useState } from "react";

interface Props {
  body: string;
  onSave: (body: string) => void;
  onCancel: () => void;
}

/** Editing a message in place, as in Slack: the box takes focus with the caret at the end and
 * scrolls into view; Enter saves, Shift+Enter is a new line, Escape cancels. */
export function EditMessage({ body, onSave, onCancel }: Props) {
  const [draft, setDraft] = useState(body);
  const input = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    const box = input.current;
    if (!box) return;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    // The whole form, its hint included (the last row's box would sit at the very bottom).
    (box.form ?? box).scrollIntoView({ block: "nearest" });
  }, []);
  const save = () => {
    if (draft.trim() && draft !== body) onSave(draft);
    else onCancel();
  };
  return (
    <form
      className="edit-form"
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <textarea
        ref={input}
        value={draft}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            save();
          } else if (e.key === "Escape") {
            // The edit, not the panel or dialog around it.
            e.preventDefault();
            e.stopPropagation();
            onCancel();
          }
        }}
        rows={2}
        aria-label="Edit message"
        data-testid="edit-input"
      />
      <button type="submit">Save</button>
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <span className="muted hint">Enter to save, Escape to cancel</span>
    </form>
  );
}

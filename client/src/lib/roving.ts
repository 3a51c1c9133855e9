// The keys of a focused message in the list (Slack's): arrows move between messages, letters
// act on the focused one. Only without Ctrl/Alt/Meta, so the browser's and the screen reader's
// own shortcuts pass through.

export type RowAction = { kind: "move"; by: number; to?: undefined } | { kind: "move"; by: 0; to: "first" | "last" } | { kind: "click"; testId: string };

/** The row control (its data-testid) each letter presses. */
export const ROW_SHORTCUTS: Readonly<Record<string, string>> = {
  r: "add-reaction",
  t: "reply-in-thread",
  e: "edit",
  h: "edited",
  Delete: "delete",
  Backspace: "delete",
};

export function rowKeyAction(key: string, mods: { shift: boolean; alt: boolean; ctrl: boolean }): RowAction | null {
  if (mods.alt || mods.ctrl) return null;
  switch (key) {
    case "ArrowUp":
      return { kind: "move", by: -1 };
    case "ArrowDown":
      return { kind: "move", by: 1 };
    case "PageUp":
      return { kind: "move", by: -10 };
    case "PageDown":
      return { kind: "move", by: 10 };
    case "Home":
      return { kind: "move", by: 0, to: "first" };
    case "End":
      return { kind: "move", by: 0, to: "last" };
  }
  if (mods.shift) return null;
  const testId = ROW_SHORTCUTS[key.length === 1 ? key.toLowerCase() : key];
  return testId ? { kind: "click", testId } : null;
}

/** The message of the main list that is in the Tab order (there is one while it has messages). */
export const CURRENT_MESSAGE = ".conversation [data-roving-row][tabindex='0']";

/** Focuses the list's current message; false when the list has none on screen. */
export function focusCurrentMessage(): boolean {
  const row = document.querySelector<HTMLElement>(CURRENT_MESSAGE);
  row?.focus();
  return Boolean(row);
}

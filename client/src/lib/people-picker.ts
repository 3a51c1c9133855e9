// The "New message" dialog's people picker as plain state: chips of the people chosen, the
// type-ahead's query and matches, and what each key does. Kept out of the component so the
// keyboard rules are tested without a browser.

import { MAX_DM_PEOPLE } from "./dm-names";
import type { UserProfile } from "./types";

export interface PickerState {
  chosen: UserProfile[];
  query: string;
  /** Matches of the query: neither me nor anyone already chosen. */
  results: UserProfile[];
  highlighted: number;
}

export const emptyPicker = (chosen: UserProfile[] = []): PickerState => ({ chosen, query: "", results: [], highlighted: 0 });

/** The people besides me a DM can take. */
export const MAX_OTHERS = MAX_DM_PEOPLE - 1;

export function isFull(s: PickerState): boolean {
  return s.chosen.length >= MAX_OTHERS;
}

export function withQuery(s: PickerState, query: string): PickerState {
  return { ...s, query, results: query.trim() ? s.results : [], highlighted: 0 };
}

/** The server's matches for `query`, if it is still the one typed (a slow answer to an earlier
 * prefix must not replace a newer one). */
export function withResults(s: PickerState, query: string, found: UserProfile[], me: string): PickerState {
  if (query !== s.query || !s.query.trim()) return s;
  if (isFull(s)) return { ...s, results: [], highlighted: 0 };
  const results = found.filter((u) => u.id !== me && !s.chosen.some((c) => c.id === u.id));
  return { ...s, results, highlighted: 0 };
}

export function add(s: PickerState, user: UserProfile): PickerState {
  if (isFull(s) || s.chosen.some((c) => c.id === user.id)) return s;
  return { ...emptyPicker([...s.chosen, user]) };
}

export function remove(s: PickerState, id: string): PickerState {
  return { ...s, chosen: s.chosen.filter((c) => c.id !== id) };
}

/** What a key in the picker's input does. `handled`: the key was the picker's (the browser and
 * the dialog must not act on it too); `submit`: open the conversation with the people chosen. */
export function onKey(s: PickerState, key: string): { state: PickerState; handled: boolean; submit?: boolean } {
  const n = s.results.length;
  switch (key) {
    case "ArrowDown":
      return n > 0 ? { state: { ...s, highlighted: (s.highlighted + 1) % n }, handled: true } : { state: s, handled: false };
    case "ArrowUp":
      return n > 0 ? { state: { ...s, highlighted: (s.highlighted - 1 + n) % n }, handled: true } : { state: s, handled: false };
    case "Enter": {
      const user = s.results[s.highlighted];
      if (user) return { state: add(s, user), handled: true };
      // Nothing to add: Enter in an empty box opens the conversation with who is chosen.
      if (!s.query.trim() && s.chosen.length > 0) return { state: s, handled: true, submit: true };
      return { state: s, handled: true };
    }
    case "Backspace":
      // Only in an empty box: otherwise it edits the text.
      if (s.query === "" && s.chosen.length > 0) return { state: { ...s, chosen: s.chosen.slice(0, -1) }, handled: true };
      return { state: s, handled: false };
    case "Escape":
      // Clearing a typed query is the first Escape's job; the next one closes the dialog.
      if (s.query || n > 0) return { state: withQuery(s, ""), handled: true };
      return { state: s, handled: false };
    default:
      return { state: s, handled: false };
  }
}

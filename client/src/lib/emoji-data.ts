// Emoji names and the picker's catalogue, from emojibase's data (bundled, loaded on first need as
// a chunk of its own: the main bundle carries only this loader). Emoji are compared without the
// variation selector U+FE0F: the server stores each emoji fully qualified ("❤️", "👍"), the data
// sometimes differs ("👍️"), and both name the same emoji.

import { emojiKey } from "./reactions";

export interface EmojiEntry {
  emoji: string;
  /** CLDR's short name, e.g. "thumbs up". */
  name: string;
  /** Search words: the name's and CLDR's keywords, lowercase. */
  words: string[];
  group: number;
  /** The five skin-tone variants, light to dark, where the emoji has them. */
  skins?: string[];
}

export const SKIN_TONES = ["light", "medium-light", "medium", "medium-dark", "dark"] as const;

/** The emoji in skin tone `tone` (0: the default yellow; 1–5: light to dark) where it has one. */
export function inTone(entry: EmojiEntry, tone: number): string {
  return (tone > 0 && entry.skins?.[tone - 1]) || entry.emoji;
}

export interface EmojiCatalogue {
  /** In Unicode's order, grouped; skin-tone variants and components left out. */
  entries: EmojiEntry[];
  groups: { id: number; name: string }[];
  /** Every emoji's name, skin tones included, by `emojiKey`. */
  names: Map<string, string>;
}

// emojibase's groups (2 = skin tone and hair components, not emoji of their own).
const GROUP_NAMES: Record<number, string> = {
  0: "Smileys & emotion",
  1: "People & body",
  3: "Animals & nature",
  4: "Food & drink",
  5: "Travel & places",
  6: "Activities",
  7: "Objects",
  8: "Symbols",
  9: "Flags",
};

let loading: Promise<EmojiCatalogue> | null = null;

export function loadEmojiCatalogue(): Promise<EmojiCatalogue> {
  loading ??= import("emojibase-data/en/compact.json").then(({ default: data }) => {
    const names = new Map<string, string>();
    const entries: EmojiEntry[] = [];
    for (const e of data) {
      names.set(emojiKey(e.unicode), e.label);
      for (const skin of e.skins ?? []) names.set(emojiKey(skin.unicode), skin.label);
      if (e.group === undefined || !(e.group in GROUP_NAMES)) continue;
      const words = [...e.label.toLowerCase().split(/[\s:,]+/), ...(e.tags ?? []).map((t) => t.toLowerCase())];
      // One tone for the whole emoji (people in several tones are left to their default).
      const skins = SKIN_TONES.map((t) => e.skins?.find((k) => k.label === `${e.label}: ${t} skin tone`)?.unicode);
      const toned = skins.every((k): k is string => k !== undefined) ? { skins } : {};
      entries.push({ emoji: e.unicode, name: e.label, words, group: e.group, ...toned });
    }
    const groups = Object.entries(GROUP_NAMES).map(([id, name]) => ({ id: Number(id), name }));
    return { entries, groups, names };
  });
  loading.catch(() => {
    loading = null;
  });
  return loading;
}

/** Entries whose name or keywords start with every word of `query` ("thumb up" finds 👍):
 * names that start with the query first, then names that match, then keyword matches, each in
 * Unicode's order. */
export function searchEmoji(entries: readonly EmojiEntry[], query: string): EmojiEntry[] {
  const q = query.toLowerCase().trim();
  const terms = q.split(/\s+/).filter(Boolean);
  if (terms.length === 0) return [...entries];
  const rank = (e: EmojiEntry): number => {
    const name = e.name.toLowerCase();
    if (name.startsWith(q)) return 0;
    const nameWords = name.split(/[\s:,]+/);
    if (terms.every((t) => nameWords.some((w) => w.startsWith(t)))) return 1;
    return terms.every((t) => e.words.some((w) => w.startsWith(t)) || name.includes(t)) ? 2 : -1;
  };
  return entries
    .map((e) => ({ e, r: rank(e) }))
    .filter(({ r }) => r >= 0)
    .sort((a, b) => a.r - b.r)
    .map(({ e }) => e);
}

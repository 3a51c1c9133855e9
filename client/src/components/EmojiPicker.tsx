// The emoji picker: loaded on first use (React.lazy from Reactions.tsx), with its data (emojibase,
// bundled as a chunk of its own; nothing is fetched from elsewhere). Focus sits in the search
// field; arrow keys move through the grid (aria-activedescendant), Enter picks, Escape closes.
// Recently used emoji (per user, in localStorage) come first; a skin tone (also remembered per
// user) applies to every emoji that has one.

import { useEffect, useId, useMemo, useRef, useState } from "react";

import { trapTab } from "./Dialog";
import { inTone, loadEmojiCatalogue, searchEmoji, SKIN_TONES, type EmojiCatalogue, type EmojiEntry } from "../lib/emoji-data";
import { emojiKey, loadRecent, loadSkinTone, saveSkinTone } from "../lib/reactions";

/** Emoji per row of the grid (the arrow keys move by this much up and down). */
const COLUMNS = 8;

export interface EmojiPickerProps {
  /** Whose recently used emoji to show (`tenant/user`). */
  userKey: string;
  onPick: (emoji: string) => void;
  onClose: () => void;
}

interface Section {
  title: string;
  items: EmojiEntry[];
}

export default function EmojiPicker({ userKey, onPick, onClose }: EmojiPickerProps) {
  const [catalogue, setCatalogue] = useState<EmojiCatalogue | null>(null);
  const [failed, setFailed] = useState(false);
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const [tone, setTone] = useState(() => loadSkinTone(userKey));
  const input = useRef<HTMLInputElement>(null);
  const grid = useRef<HTMLDivElement>(null);
  const id = useId();

  useEffect(() => {
    input.current?.focus();
    loadEmojiCatalogue().then(setCatalogue, () => setFailed(true));
  }, []);

  const sections: Section[] = useMemo(() => {
    if (!catalogue) return [];
    if (query.trim()) return [{ title: "Search results", items: searchEmoji(catalogue.entries, query) }];
    const byKey = new Map(catalogue.entries.map((e) => [emojiKey(e.emoji), e]));
    const recent = loadRecent(userKey).map((e) => byKey.get(emojiKey(e)) ?? { emoji: e, name: catalogue.names.get(emojiKey(e)) ?? e, words: [], group: -1 });
    const groups = catalogue.groups.map((g) => ({ title: g.name, items: catalogue.entries.filter((e) => e.group === g.id) }));
    return [...(recent.length > 0 ? [{ title: "Recently used", items: recent }] : []), ...groups];
  }, [catalogue, query, userKey]);
  const flat = useMemo(() => sections.flatMap((s) => s.items), [sections]);
  const current = flat[Math.min(active, flat.length - 1)];
  const shown = (entry: EmojiEntry) => inTone(entry, tone);
  const optionId = (i: number) => `${id}-option-${i}`;

  useEffect(() => {
    grid.current?.querySelector(`[id="${id}-option-${active}"]`)?.scrollIntoView({ block: "nearest" });
  }, [active, id]);

  const move = (by: number) => setActive((a) => Math.max(0, Math.min(flat.length - 1, a + by)));
  const root = useRef<HTMLDivElement>(null);
  const onKeyDown = (e: React.KeyboardEvent) => {
    // A popover dialog: Tab stays inside it until a pick or Escape closes it.
    if (trapTab(e, root.current)) return;
    const keys: Record<string, () => void> = {
      ArrowRight: () => move(1),
      ArrowLeft: () => move(-1),
      ArrowDown: () => move(COLUMNS),
      ArrowUp: () => move(-COLUMNS),
      Enter: () => current && onPick(shown(current)),
      Escape: onClose,
    };
    const action = keys[e.key];
    // The arrows and Enter belong to the grid while typing in the search field (as in Slack's
    // picker); elsewhere (the skin tones) only Escape is the picker's.
    if (!action || (e.key !== "Escape" && e.target !== input.current)) return;
    e.preventDefault();
    e.stopPropagation();
    action();
  };

  let index = 0;
  return (
    <div ref={root} className="emoji-picker" role="dialog" aria-label="Choose an emoji" onKeyDown={onKeyDown} data-testid="emoji-picker">
      <input
        ref={input}
        type="search"
        className="emoji-search"
        placeholder="Search emoji"
        aria-label="Search emoji by name"
        role="combobox"
        aria-expanded="true"
        aria-controls={`${id}-grid`}
        aria-activedescendant={current ? optionId(Math.min(active, flat.length - 1)) : undefined}
        value={query}
        onChange={(e) => {
          setQuery(e.target.value);
          setActive(0);
        }}
      />
      <div className="skin-tones" role="group" aria-label="Skin tone">
        {[0, 1, 2, 3, 4, 5].map((t) => (
          <button
            key={t}
            type="button"
            className={`skin-tone tone-${t}`}
            aria-pressed={t === tone}
            aria-label={t === 0 ? "Default skin tone" : `${SKIN_TONES[t - 1]} skin tone`}
            onClick={() => {
              setTone(t);
              saveSkinTone(userKey, t);
              input.current?.focus();
            }}
          />
        ))}
      </div>
      <div className="emoji-grid" ref={grid} id={`${id}-grid`} role="listbox" aria-label="Emoji">
        {failed && <p className="muted">Emoji could not be loaded.</p>}
        {!catalogue && !failed && <p className="muted">Loading…</p>}
        {catalogue && flat.length === 0 && <p className="muted">No emoji match “{query}”.</p>}
        {sections.map((section) => (
          <div key={section.title} role="group" aria-label={section.title}>
            {section.items.length > 0 && <div className="emoji-section">{section.title}</div>}
            <div className="emoji-row">
              {section.items.map((entry) => {
                const i = index++;
                return (
                  <span
                    key={`${section.title}-${entry.emoji}`}
                    id={optionId(i)}
                    role="option"
                    aria-selected={i === active}
                    aria-label={entry.name}
                    title={`:${entry.name}:`}
                    className={`emoji-option ${i === active ? "active" : ""}`}
                    onMouseDown={(e) => e.preventDefault()}
                    onClick={() => onPick(shown(entry))}
                    onMouseEnter={() => setActive(i)}
                  >
                    {shown(entry)}
                  </span>
                );
              })}
            </div>
          </div>
        ))}
      </div>
      <div className="emoji-preview" aria-hidden="true">
        {current ? (
          <>
            <span className="emoji-big">{shown(current)}</span> :{current.name}:
          </>
        ) : (
          " "
        )}
      </div>
    </div>
  );
}

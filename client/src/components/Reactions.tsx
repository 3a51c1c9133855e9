// A message's reactions: each emoji with its count (mine highlighted; a click toggles mine), who
// reacted on hover or focus and in the button's accessible name, and "Add reaction", which opens
// the emoji picker (loaded on first use, so the main bundle does not carry it).

import { lazy, Suspense, useEffect, useId, useRef, useState } from "react";

import { loadEmojiCatalogue } from "../lib/emoji-data";
import { emojiKey, reactionLabel, reactorNames, rememberRecent } from "../lib/reactions";
import type { Reaction, UserProfile } from "../lib/types";

const EmojiPicker = lazy(() => import("./EmojiPicker"));

type Lookup = (id: string) => UserProfile | undefined;

/** Emoji names, once the emoji data has loaded (it loads when a reaction is first shown). */
let knownNames: Map<string, string> | null = null;

function useEmojiNames(wanted: boolean): Map<string, string> | null {
  const [names, setNames] = useState(knownNames);
  useEffect(() => {
    if (!wanted || names) return;
    let live = true;
    loadEmojiCatalogue().then(
      (c) => {
        knownNames = c.names;
        if (live) setNames(c.names);
      },
      () => {},
    );
    return () => {
      live = false;
    };
  }, [wanted, names]);
  return names;
}

export interface ReactionsProps {
  messageId: string;
  reactions: readonly Reaction[];
  me: string;
  /** Whose recently used emoji the picker shows (`tenant/user`). */
  userKey: string;
  user: Lookup;
  onReact: (messageId: string, emoji: string, add: boolean) => void;
}

/** The bar under a message with reactions (nothing when it has none). */
export function Reactions({ messageId, reactions, me, userKey, user, onReact }: ReactionsProps) {
  const names = useEmojiNames(reactions.length > 0);
  if (reactions.length === 0) return null;
  return (
    <div className="reactions" role="group" aria-label="Reactions" data-testid="reactions">
      {reactions.map((r) => (
        <ReactionChip
          key={r.emoji}
          reaction={r}
          me={me}
          user={user}
          name={names?.get(emojiKey(r.emoji))}
          onToggle={(mine) => onReact(messageId, r.emoji, !mine)}
        />
      ))}
      <AddReaction messageId={messageId} userKey={userKey} onReact={onReact} compact />
    </div>
  );
}

function ReactionChip({ reaction, me, user, name, onToggle }: { reaction: Reaction; me: string; user: Lookup; name: string | undefined; onToggle: (mine: boolean) => void }) {
  const [tip, setTip] = useState(false);
  const tipId = useId();
  const mine = reaction.userIds.includes(me);
  return (
    <span className="reaction-wrap" onMouseEnter={() => setTip(true)} onMouseLeave={() => setTip(false)}>
      <button
        type="button"
        className={`reaction ${mine ? "mine" : ""}`}
        aria-pressed={mine}
        aria-label={reactionLabel(reaction, me, user, name)}
        data-testid="reaction"
        data-emoji={emojiKey(reaction.emoji)}
        onClick={() => onToggle(mine)}
        onFocus={() => setTip(true)}
        onBlur={() => setTip(false)}
      >
        <span className="reaction-emoji" aria-hidden="true">
          {reaction.emoji}
        </span>
        <span className="reaction-count" aria-hidden="true" data-testid="reaction-count">
          {reaction.count}
        </span>
      </button>
      {tip && (
        <span className="reaction-tip" role="tooltip" id={tipId} data-testid="reaction-tip">
          <span className="reaction-tip-emoji" aria-hidden="true">
            {reaction.emoji}
          </span>
          {reactorNames(reaction.userIds, me, user)} reacted with {name ? `:${name}:` : reaction.emoji}
        </span>
      )}
    </span>
  );
}

/** "Add reaction": opens the picker; a pick reacts, remembers the emoji as recent, closes the
 * picker and gives focus back to the button (as Escape does). */
export function AddReaction({ messageId, userKey, onReact, compact = false }: { messageId: string; userKey: string; onReact: (messageId: string, emoji: string, add: boolean) => void; compact?: boolean }) {
  const [open, setOpen] = useState(false);
  const [place, setPlace] = useState<React.CSSProperties | undefined>(undefined);
  const button = useRef<HTMLButtonElement>(null);
  const popover = useRef<HTMLDivElement>(null);
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  useEffect(() => {
    if (!open) return;
    const outside = (e: PointerEvent) => {
      const target = e.target as Node;
      if (!popover.current?.contains(target) && !button.current?.contains(target)) setOpen(false);
    };
    document.addEventListener("pointerdown", outside);
    return () => document.removeEventListener("pointerdown", outside);
  }, [open]);
  return (
    <span className="add-reaction-wrap">
      <button
        ref={button}
        type="button"
        className={compact ? "reaction add-reaction" : "link add-reaction"}
        aria-label="Add reaction"
        aria-haspopup="dialog"
        aria-expanded={open}
        title="Add reaction"
        data-testid="add-reaction"
        onClick={() => {
          if (!open) setPlace(placeNear(button.current));
          setOpen(!open);
        }}
      >
        <SmileyPlus />
        {!compact && <span className="add-reaction-text">React</span>}
      </button>
      {open && (
        <div className="emoji-popover" ref={popover} style={place}>
          <Suspense fallback={<div className="emoji-picker muted">Loading…</div>}>
            <EmojiPicker
              userKey={userKey}
              onClose={() => close(true)}
              onPick={(emoji) => {
                rememberRecent(userKey, emoji);
                onReact(messageId, emoji, true);
                close(true);
              }}
            />
          </Suspense>
        </div>
      )}
    </span>
  );
}

const PICKER_WIDTH = 320;
const PICKER_HEIGHT = 340;

/** Where the picker goes on a wide window: in the window, beside the button, above it when
 * there is more room there (the list scrolls, so a popover inside it would be cut off). On a
 * narrow one the style sheet makes it a sheet along the bottom. */
function placeNear(anchor: HTMLElement | null): React.CSSProperties | undefined {
  if (!anchor || window.innerWidth <= 720) return undefined;
  const r = anchor.getBoundingClientRect();
  const left = Math.max(8, Math.min(r.right - PICKER_WIDTH, window.innerWidth - PICKER_WIDTH - 8));
  const below = window.innerHeight - r.bottom;
  const top = below >= PICKER_HEIGHT + 8 || below >= r.top ? Math.min(r.bottom + 4, window.innerHeight - PICKER_HEIGHT - 8) : Math.max(8, r.top - PICKER_HEIGHT - 4);
  return { position: "fixed", top, left, right: "auto", bottom: "auto" };
}

/** Drawn, not an emoji: the button must show where no emoji font is installed. */
function SmileyPlus() {
  return (
    <svg width="16" height="16" viewBox="0 0 16 16" aria-hidden="true" className="smiley-plus">
      <circle cx="7" cy="8.5" r="5.6" fill="none" stroke="currentColor" strokeWidth="1.3" />
      <circle cx="5.2" cy="7.4" r="0.8" fill="currentColor" />
      <circle cx="8.8" cy="7.4" r="0.8" fill="currentColor" />
      <path d="M4.8 10.2c1.2 1.3 3.2 1.3 4.4 0" fill="none" stroke="currentColor" strokeWidth="1.2" strokeLinecap="round" />
      <path d="M13.2 1.2v4M11.2 3.2h4" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" />
    </svg>
  );
}

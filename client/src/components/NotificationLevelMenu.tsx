import { useEffect, useId, useLayoutEffect, useRef, useState, type KeyboardEvent } from "react";

import { LEVELS, levelOf } from "../lib/notifications";
import type { ConversationSummary, NotificationLevel } from "../lib/types";

const SHORT: Record<NotificationLevel, string> = { all: "All", mentions: "Mentions", nothing: "Off" };

/** The conversation header's bell: a menu button (WAI-ARIA menu button pattern) whose items are
 * the three levels. Arrows move, Enter or Space choose, Escape closes; focus returns to the bell. */
export function NotificationLevelMenu({ conversation, title, onChoose }: { conversation: ConversationSummary; title: string; onChoose: (level: NotificationLevel) => void }) {
  const level = levelOf(conversation);
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const id = useId();

  // Under the bell, its right edge on the bell's, kept inside the window (a phone's header puts
  // the bell anywhere along it).
  useLayoutEffect(() => {
    const m = menu.current;
    const b = button.current?.getBoundingClientRect();
    if (!open || !m || !b) return;
    const width = m.offsetWidth;
    m.style.left = `${Math.max(8, Math.min(b.right - width, window.innerWidth - width - 8))}px`;
    m.style.top = `${b.bottom + 4}px`;
  }, [open]);
  const items = () => [...(menu.current?.querySelectorAll<HTMLElement>("[role=menuitemradio]") ?? [])];
  useEffect(() => {
    if (!open) return;
    // The chosen level takes the keyboard as the menu opens.
    (items().find((i) => i.getAttribute("aria-checked") === "true") ?? items()[0])?.focus();
    const outside = (e: PointerEvent) => {
      if (!menu.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("pointerdown", outside);
    return () => document.removeEventListener("pointerdown", outside);
  }, [open]);

  const close = () => {
    setOpen(false);
    button.current?.focus();
  };
  const choose = (chosen: NotificationLevel) => {
    if (chosen !== level) onChoose(chosen);
    close();
  };
  const onMenuKey = (e: KeyboardEvent) => {
    const list = items();
    const at = list.indexOf(document.activeElement as HTMLElement);
    const move = (to: number) => {
      e.preventDefault();
      list[(to + list.length) % list.length]?.focus();
    };
    if (e.key === "ArrowDown") move(at + 1);
    else if (e.key === "ArrowUp") move(at - 1);
    else if (e.key === "Home") move(0);
    else if (e.key === "End") move(list.length - 1);
    else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      close();
    } else if (e.key === "Tab") setOpen(false);
  };

  return (
    <div className="notify-menu">
      <button
        ref={button}
        className={`notify-bell level-${level}`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        aria-label={`Notifications for ${title}: ${LEVELS.find((l) => l.level === level)?.label ?? level}`}
        title="Notifications"
        data-testid="notify-level-button"
        onClick={() => setOpen((v) => !v)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown" || e.key === "ArrowUp") {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        <span aria-hidden="true">{level === "nothing" ? "🔕" : "🔔"}</span> <span className="notify-level-short">{SHORT[level]}</span>
      </button>
      {open && (
        <div ref={menu} id={id} role="menu" aria-label={`Notify me in ${title} about`} className="notify-popover" data-testid="notify-level-menu" onKeyDown={onMenuKey}>
          {LEVELS.map((l) => (
            <div
              key={l.level}
              role="menuitemradio"
              aria-checked={l.level === level}
              tabIndex={-1}
              className="notify-item"
              data-testid={`notify-level-${l.level}`}
              onClick={() => choose(l.level)}
              onKeyDown={(e) => {
                if (e.key === "Enter" || e.key === " ") {
                  e.preventDefault();
                  choose(l.level);
                }
              }}
            >
              <span className="notify-check" aria-hidden="true">
                {l.level === level ? "✓" : ""}
              </span>
              <span>
                <span className="notify-item-label">{l.label}</span>
                <span className="notify-item-hint">{l.hint}</span>
              </span>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState, type KeyboardEvent, type ReactNode } from "react";
import { Virtuoso, type VirtuosoHandle } from "react-virtuoso";

import type { Api } from "../lib/api";
import { buildRows, countAfter, emptyConversationText, rowKey, firstRowAnchor, nextFirstItemIndex, unreadFrom, type Row } from "../lib/conversation-view";
import { dayLabel, timeOfDay } from "../lib/days";
import { announcement, lastMessageId, liveArrivals } from "../lib/live-log";
import { rowKeyAction, type RowAction } from "../lib/roving";
import { EditHistory } from "./EditHistory";
import { MessageRow } from "./MessageRow";
import type { UiMessage } from "../lib/store/messages";
import type { UserProfile } from "../lib/types";

interface Props {
  /** The conversation's kind: what its beginning says. */
  kind: "public" | "private" | "dm";
  me: string;
  /** "#general", or the other person's name: the empty state names it. */
  title: string;
  messages: UiMessage[];
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
  /** Opened at a search hit: newer pages load at the bottom. */
  hasNewer: boolean;
  loadingNewer: boolean;
  onLoadNewer: () => void;
  onRetry: (clientMessageId: string) => void;
  onEdit: (id: string, body: string, mentions: string[]) => void;
  onDelete: (id: string) => void;
  onReact: (id: string, emoji: string, add: boolean) => void;
  userKey: string;
  /** Profile lookup (fetched in the background when unknown). */
  user: (id: string) => UserProfile | undefined;
  /** Changes when profiles arrive, so rows re-render with names. */
  usersVersion: number;
  api: Api;
  highlightId?: string | null;
  /** Open with this message at the top (Back to where the reader was). */
  anchorId?: string | null;
  /** The first message unread at open: the "New messages" divider goes above it. */
  unreadFromId?: string | null;
  /** Whether the newest message is in view (what arrives then is read). */
  onAtBottom?: (atBottom: boolean) => void;
  /** Opens a message's thread panel. */
  onOpenThread?: (rootId: string) => void;
  /** The root whose thread is open beside the list. */
  openThreadId?: string | null;
  /** "Mark as read" on the jump bar: the divider goes. */
  onDismissUnread?: () => void;
  /** A channel or tenant admin here: Delete on other people's messages. */
  moderator?: boolean;
  /** An archived channel: messages without their actions. */
  readOnly?: boolean;
  /** Up in the composer: edit this message (a new `nonce` each time). */
  editRequest?: { id: string; nonce: number } | null;
  onEditRequestEnd?: () => void;
}

/** Far from zero, so older pages can lower it (Virtuoso's prepend-without-jump). */
const START_INDEX = 1_000_000;

interface ListContext {
  hasOlder: boolean;
  loadingOlder: boolean;
  hasNewer: boolean;
  loadingNewer: boolean;
}

function Header({ context }: { context?: ListContext }) {
  if (!context) return null;
  if (context.hasOlder) return <div className="older">{context.loadingOlder ? "Loading older messages…" : "Scroll up for older messages"}</div>;
  return <div className="older">This is the beginning of the conversation.</div>;
}

function Footer({ context }: { context?: ListContext }) {
  if (!context?.hasNewer) return <div className="list-end" />;
  return <div className="older">{context.loadingNewer ? "Loading newer messages…" : "Scroll down for newer messages"}</div>;
}

/** The conversation's own scroll region, virtualised (only rows near the view are in the
 * DOM). Opens at the first unread (under a divider), a search hit (centred) or the newest;
 * follows new messages while at the bottom; otherwise counts them in a pill. */
export function MessageList(props: Props) {
  const { me, title, messages, hasOlder, loadingOlder, onLoadOlder, hasNewer, loadingNewer, onLoadNewer, highlightId, unreadFromId, onAtBottom, editRequest } = props;
  const virtuoso = useRef<VirtuosoHandle>(null);
  const scroller = useRef<HTMLElement | null>(null);
  // Stable: Virtuoso takes a new callback as a new scroller.
  const setScroller = useCallback((el: HTMLElement | Window | null) => {
    scroller.current = el instanceof HTMLElement ? el : null;
  }, []);
  const firstRow = useRef<{ key: string; index: number } | null>(null);
  const [atBottom, setAtBottom] = useState(true);
  const [lastSeenKey, setLastSeenKey] = useState<string | null>(null);
  const [historyOf, setHistoryOf] = useState<UiMessage | null>(null);

  // Days in the browser's time zone; the labels ("Today") are as of this render.
  const rows = useMemo(() => buildRows(messages, !hasOlder), [messages, hasOlder]);
  const rowOf = (id: string | null | undefined) => (id ? rows.findIndex((r) => r.message.id === id) : -1);
  const firstItemIndex = nextFirstItemIndex(firstRow.current, rows, START_INDEX);
  useEffect(() => {
    firstRow.current = firstRowAnchor(rows, firstItemIndex);
  }, [rows, firstItemIndex]);

  // Where the list opens; read once, when Virtuoso mounts (the page remounts it per open).
  const [initial] = useState(() => {
    const hit = rowOf(highlightId);
    if (hit >= 0) return { index: hit, align: "center" as const };
    const anchor = rowOf(props.anchorId);
    if (anchor >= 0) return { index: anchor, align: "start" as const };
    const unread = rowOf(unreadFromId);
    if (unread >= 0) return { index: unread, align: "start" as const };
    return { index: Math.max(0, rows.length - 1), align: "end" as const };
  });

  // The "New messages" divider above the view (opened at the bottom, or scrolled past): the
  // jump bar offers to go back to it.
  const dividerRow = rowOf(unreadFromId);
  const [dividerAbove, setDividerAbove] = useState(false);
  const dividerKey = rows[dividerRow]?.key ?? null;
  const checkDivider = useCallback(() => {
    const region = scroller.current;
    if (!region || !dividerKey) return setDividerAbove(false);
    const divider = region.querySelector("[data-testid=new-messages-divider]");
    if (divider) return setDividerAbove(divider.getBoundingClientRect().bottom <= region.getBoundingClientRect().top);
    // Not rendered (virtualised): above the view when it lies before the first rendered row.
    const first = region.querySelector<HTMLElement>("[data-item-index] [data-row-key]");
    const firstKey = first?.dataset.rowKey;
    const at = (key: string | undefined) => rows.findIndex((r) => r.key === key);
    setDividerAbove(firstKey !== undefined && at(dividerKey) < at(firstKey));
  }, [dividerKey, rows]);
  // Checked as the reader scrolls (once a frame) and as rows change.
  useEffect(() => {
    const region = scroller.current;
    if (!region) return;
    let frame = 0;
    const onScroll = () => {
      cancelAnimationFrame(frame);
      frame = requestAnimationFrame(checkDivider);
    };
    region.addEventListener("scroll", onScroll, { passive: true });
    onScroll();
    return () => {
      cancelAnimationFrame(frame);
      region.removeEventListener("scroll", onScroll);
    };
  }, [checkDivider]);
  const jumpToDivider = () => {
    moved.current = true;
    virtuoso.current?.scrollToIndex({ index: dividerRow, align: "start" });
    // Where the divider lands once its rows are measured.
    setTimeout(() => scroller.current?.querySelector<HTMLElement>("[data-testid=new-messages-divider]")?.scrollIntoView({ block: "start" }), 100);
  };

  // Up in the composer: bring my last message into view, and its row starts editing.
  useEffect(() => {
    if (!editRequest) return;
    const at = rows.findIndex((r) => r.message.id === editRequest.id);
    if (at >= 0) {
      moved.current = true;
      virtuoso.current?.scrollIntoView({ index: at, behavior: "auto" });
    }
    // Only when asked again (a new nonce), not as rows change.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [editRequest?.nonce]);

  // Rows are measured after they render (names, images): the opening position is applied
  // again once they settle, unless the reader already moved.
  const moved = useRef(false);
  useEffect(() => {
    const timers = [50, 200, 500].map((ms) =>
      setTimeout(() => {
        if (!moved.current) virtuoso.current?.scrollToIndex(initial.align === "end" ? { index: "LAST", align: "end" } : initial);
      }, ms),
    );
    return () => timers.forEach(clearTimeout);
  }, [initial]);

  const last = messages[messages.length - 1];
  const lastKey = last ? rowKey(last) : null;
  // While scrolled up, what arrives below is counted from the last row seen at the bottom.
  useEffect(() => {
    if (atBottom) setLastSeenKey(lastKey);
  }, [atBottom, lastKey]);
  const unseen = atBottom ? 0 : countAfter(messages, lastSeenKey);

  // New messages from others, said once by a polite live region of their own: the log itself is
  // aria-live="off", because Virtuoso replaces its rows as the reader scrolls and older pages load
  // above, and a live log would read all of that out again.
  const [said, setSaid] = useState<{ text: string; n: number }>({ text: "", n: 0 });
  const previousLast = useRef<string | null>(lastMessageId(messages));
  const pagedAtBottom = useRef(hasNewer || loadingNewer);
  useEffect(() => {
    const arrivals = liveArrivals(messages, previousLast.current, me, pagedAtBottom.current);
    previousLast.current = lastMessageId(messages);
    pagedAtBottom.current = hasNewer || loadingNewer;
    const text = announcement(arrivals, (id) => props.user(id)?.displayName ?? id, title);
    if (text) setSaid((s) => ({ text, n: s.n + 1 }));
    // Only when the messages change (names may still be loading: the id is said then).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [messages]);

  // A roving tabindex over the rows (as in Slack): one message is in the Tab order (the last one
  // focused, else the newest), Up/Down/Home/End move between messages, and the controls of the
  // other rows leave the Tab order, so Tab goes from the list to the composer in one step.
  const [currentKey, setCurrentKey] = useState<string | null>(null);
  const current = currentKey !== null && rows.some((r) => r.key === currentKey) ? currentKey : (rows[rows.length - 1]?.key ?? null);
  const focusWanted = useRef<string | null>(null);
  const focusRow = useCallback((key: string) => {
    focusWanted.current = key;
    setCurrentKey(key);
  }, []);
  // The row may not be rendered yet (virtualised): focus it once Virtuoso has put it on screen.
  useEffect(() => {
    const key = focusWanted.current;
    if (!key) return;
    let frame = 0;
    let tries = 0;
    const attempt = () => {
      const el = scroller.current?.querySelector<HTMLElement>(`[data-row-key="${CSS.escape(key)}"] [data-roving-row]`);
      if (el) {
        focusWanted.current = null;
        el.focus({ preventScroll: false });
      } else if (++tries < 60) frame = requestAnimationFrame(attempt);
    };
    attempt();
    return () => cancelAnimationFrame(frame);
  }, [currentKey, rows]);
  const onRowKeyDown = (e: KeyboardEvent<HTMLElement>, index: number) => {
    if (e.target !== e.currentTarget) return;
    const action: RowAction | null = rowKeyAction(e.key, { shift: e.shiftKey, alt: e.altKey, ctrl: e.ctrlKey || e.metaKey });
    if (!action) return;
    e.preventDefault();
    moved.current = true;
    if (action.kind === "move") {
      const to = action.to === "first" ? 0 : action.to === "last" ? rows.length - 1 : Math.max(0, Math.min(rows.length - 1, index + action.by));
      if (to === index && action.to === undefined && action.by < 0 && hasOlder && !loadingOlder) onLoadOlder();
      const row = rows[to];
      if (!row) return;
      virtuoso.current?.scrollIntoView({ index: to, behavior: "auto" });
      focusRow(row.key);
      return;
    }
    // The row's own controls do the work (they hold the picker, the edit form, the confirmation).
    e.currentTarget.querySelector<HTMLElement>(`[data-testid="${action.testId}"]`)?.click();
  };

  const context = useMemo<ListContext>(() => ({ hasOlder, loadingOlder, hasNewer, loadingNewer }), [hasOlder, loadingOlder, hasNewer, loadingNewer]);

  if (messages.length === 0 && !hasOlder) {
    const empty = emptyConversationText(props.kind, title, Boolean(props.readOnly));
    return (
      <div className="messages-region" data-testid="messages">
        <div className="empty-conversation" data-testid="empty-conversation">
          <h3>{empty.heading}</h3>
          <p className="muted">{empty.hint}</p>
        </div>
      </div>
    );
  }

  const toBottom = () => {
    if (hasNewer) onLoadNewer();
    virtuoso.current?.scrollToIndex({ index: rows.length - 1, align: "end" });
  };
  const unreadCount = unreadFromId ? unreadFrom(messages, unreadFromId, me) : 0;
  const dividerMessage = rows[dividerRow];
  const since = dividerMessage ? timeOfDay(dividerMessage.message.createdAt) : "";

  const itemContent = (index: number, row: Row) => {
    const m = row.message;
    const at = index - firstItemIndex;
    return (
      <RovingRow className="message-row" rowKey={row.key} current={row.key === current} onFocusWithin={setCurrentKey}>
        {row.dayBefore && <DaySeparator day={row.dayBefore} />}
        {m.id === unreadFromId && (
          <div className="new-divider" data-testid="new-messages-divider" role="separator" aria-label="New messages">
            <span>New messages</span>
          </div>
        )}
        <MessageRow
          m={m}
          me={me}
          onRetry={props.onRetry}
          onEdit={props.onEdit}
          onDelete={props.onDelete}
          onReact={props.onReact}
          userKey={props.userKey}
          user={props.user}
          usersVersion={props.usersVersion}
          api={props.api}
          highlighted={m.id === highlightId}
          moderator={props.moderator}
          readOnly={props.readOnly}
          editRequest={editRequest?.id === m.id ? editRequest.nonce : undefined}
          onEditRequestEnd={props.onEditRequestEnd}
          onShowHistory={setHistoryOf}
          onOpenThread={props.onOpenThread}
          threadOpen={m.id === props.openThreadId}
          rowFocus={{ tabIndex: row.key === current ? 0 : -1, onKeyDown: (e) => onRowKeyDown(e, at) }}
        />
        {row.dayAfter && <DaySeparator day={row.dayAfter} />}
      </RovingRow>
    );
  };

  return (
    <div
      className="messages-region"
      data-testid="messages"
      onWheel={() => (moved.current = true)}
      onTouchMove={() => (moved.current = true)}
      onKeyDown={() => (moved.current = true)}
      onMouseDown={() => (moved.current = true)}
    >
      {dividerAbove && unreadCount > 0 && (
        <div className="jump-bar" role="status" data-testid="jump-bar">
          <span>
            {unreadCount} new message{unreadCount === 1 ? "" : "s"} since {since}
          </span>
          <button className="link" onClick={jumpToDivider} data-testid="jump-to-unread">
            Jump
          </button>
          <span aria-hidden="true">·</span>
          <button className="link" onClick={props.onDismissUnread} data-testid="mark-as-read">
            Mark as read
          </button>
        </div>
      )}
      <Virtuoso
        ref={virtuoso}
        scrollerRef={setScroller}
        className="messages"
        data-testid="message-scroller"
        role="log"
        aria-live="off"
        aria-label={`Messages in ${title}`}
        data={rows}
        context={context}
        firstItemIndex={firstItemIndex}
        initialTopMostItemIndex={initial}
        computeItemKey={(_, row) => row.key}
        alignToBottom
        atBottomThreshold={40}
        atBottomStateChange={(bottom) => {
          setAtBottom(bottom);
          onAtBottom?.(bottom);
        }}
        // At the bottom, new rows stay in view; my own send always brings the view down.
        followOutput={(bottom) => (bottom || (last?.authorId === me && last.state !== "sent") ? "auto" : false)}
        startReached={() => {
          if (hasOlder && !loadingOlder) onLoadOlder();
        }}
        endReached={() => {
          if (hasNewer && !loadingNewer) onLoadNewer();
        }}
        increaseViewportBy={{ top: 600, bottom: 600 }}
        components={{ Header, Footer }}
        itemContent={itemContent}
      />
      {unseen > 0 && (
        <button className="new-pill" onClick={toBottom} data-testid="new-messages-pill">
          {unseen} new message{unseen === 1 ? "" : "s"} ↓
        </button>
      )}
      <div className="visually-hidden" role="status" aria-live="polite" data-testid="live-announcer">
        {said.text && <p key={said.n}>{said.text}</p>}
      </div>
      {historyOf && <EditHistory message={messages.find((m) => m.id === historyOf.id) ?? historyOf} api={props.api} me={me} user={props.user} onClose={() => setHistoryOf(null)} />}
    </div>
  );
}

/** The line naming a day ("Today", "Monday, December 7") between two days' messages. */
function DaySeparator({ day }: { day: string }) {
  const label = dayLabel(day);
  return (
    <div className="day-separator" role="separator" aria-label={label} data-testid="day-separator" data-day={day}>
      <span>{label}</span>
    </div>
  );
}

const FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

/** A row of the roving tabindex: when it is not the current one, the controls inside it leave the
 * Tab order (they stay clickable), and focus landing anywhere in it makes it the current one. */
function RovingRow({ className, rowKey, current, onFocusWithin, children }: { className: string; rowKey: string; current: boolean; onFocusWithin: (key: string) => void; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  // Each render (its message may have grown a control): React never sets tabindex on these
  // controls itself, so marking them here sticks until the row is current again.
  useLayoutEffect(() => {
    for (const el of ref.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? []) {
      if (el.hasAttribute("data-roving-row")) continue;
      if (!current && !el.hasAttribute("tabindex")) {
        el.setAttribute("tabindex", "-1");
        el.setAttribute("data-roving-off", "");
      } else if (current && el.hasAttribute("data-roving-off")) {
        el.removeAttribute("tabindex");
        el.removeAttribute("data-roving-off");
      }
    }
  });
  return (
    <div ref={ref} className={className} data-row-key={rowKey} onFocus={() => onFocusWithin(rowKey)}>
      {children}
    </div>
  );
}

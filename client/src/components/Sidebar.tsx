import { useRef, useState, type ReactNode } from "react";

import type { Api } from "../lib/api";
import { conversationTitle } from "../lib/chat-controller";
import type { ConversationSummary, Me, UserProfile } from "../lib/types";

interface Props {
  me: Me;
  api: Api;
  conversations: ConversationSummary[];
  activeId: string | null;
  onOpen: (id: string) => void;
  onBrowse: () => void;
  onOpenDm: (userId: string) => void;
  onSignOut: () => void;
  search: ReactNode;
  /** The "Enable notifications" control (components/NotificationPermission.tsx). */
  notifications?: ReactNode;
  /** Tenant admins only. */
  onRetention?: () => void;
  /** Super admins only. */
  onOperations?: () => void;
  /** The Threads view: open, and its unread replies. */
  threadsActive: boolean;
  threadsUnread: number;
  onThreads: () => void;
}

export function Sidebar({ me, api, conversations, activeId, onOpen, onBrowse, onOpenDm, onSignOut, search, notifications, onRetention, onOperations, threadsActive, threadsUnread, onThreads }: Props) {
  const channels = conversations.filter((c) => c.kind !== "dm");
  const dms = conversations.filter((c) => c.kind === "dm");
  return (
    <nav className="sidebar">
      <div className="me">
        <strong data-testid="me">{me.displayName}</strong>
        <span className="muted">
          @{me.handle} · {me.tenantId}
        </span>
        <button className="link" onClick={onSignOut}>
          Sign out
        </button>
        {onOperations && (
          <button className="link" onClick={onOperations} data-testid="open-operations">
            Operations
          </button>
        )}
        {onRetention && (
          <button className="link" onClick={onRetention} data-testid="open-retention">
            Retention
          </button>
        )}
        {notifications}
      </div>
      {search}
      <ul>
        <li>
          <button
            className={`conv threads-entry ${threadsActive ? "active" : ""} ${threadsUnread > 0 ? "unread" : ""}`}
            onClick={onThreads}
            aria-current={threadsActive ? "page" : undefined}
            aria-label={threadsUnread > 0 ? `Threads, ${threadsUnread} unread ${threadsUnread === 1 ? "reply" : "replies"}` : "Threads"}
            data-testid="threads-entry"
          >
            <span className="conv-name">Threads</span>
            {threadsUnread > 0 && (
              <span className="badge" data-testid="threads-badge">
                {threadsUnread}
              </span>
            )}
          </button>
        </li>
      </ul>
      <div className="section-title">
        Channels
        <button className="link" onClick={onBrowse} data-testid="browse-channels">
          Browse / create
        </button>
      </div>
      <ul>
        {channels.map((c) => (
          <Item key={c.id} c={c} me={me.userId} active={!threadsActive && c.id === activeId} onOpen={onOpen} />
        ))}
      </ul>
      <div className="section-title">Direct messages</div>
      <ul>
        {dms.map((c) => (
          <Item key={c.id} c={c} me={me.userId} active={!threadsActive && c.id === activeId} onOpen={onOpen} />
        ))}
      </ul>
      <UserPicker api={api} me={me.userId} label="New message to…" onPick={(u) => onOpenDm(u.id)} testId="dm-search" />
    </nav>
  );
}

function Item({ c, me, active, onOpen }: { c: ConversationSummary; me: string; active: boolean; onOpen: (id: string) => void }) {
  return (
    <li>
      <button className={`conv ${active ? "active" : ""} ${c.unreadCount > 0 ? "unread" : ""}`} onClick={() => onOpen(c.id)} data-testid={`conv-${c.name ?? c.id}`}>
        <span className="conv-name">
          {c.kind === "private" && <LockIcon />}
          {conversationTitle(c, me)}
        </span>
        {c.mentionCount > 0 && <span className="badge mention">@{c.mentionCount}</span>}
        {c.unreadCount > 0 && (
          <span className="badge" data-testid="unread-badge">
            {c.unreadCount}
          </span>
        )}
      </button>
    </li>
  );
}

/** Type-ahead over the tenant's users (the same endpoint @mentions use): arrows move, Enter
 * picks the highlighted one (the first by default), Escape clears. */
export function UserPicker({ api, me, label, onPick, testId }: { api: Api; me: string; label: string; onPick: (u: UserProfile) => void; testId: string }) {
  const [query, setQuery] = useState("");
  const [results, setResults] = useState<UserProfile[]>([]);
  const [selected, setSelected] = useState(0);
  const latest = useRef("");
  const search = async (q: string) => {
    setQuery(q);
    latest.current = q;
    setSelected(0);
    if (!q.trim()) {
      setResults([]);
      return;
    }
    try {
      const { items } = await api.users(q.trim());
      // A slower answer to an earlier prefix must not replace a newer one.
      if (latest.current === q) setResults(items.filter((u) => u.id !== me));
    } catch {
      setResults([]);
    }
  };
  const pick = (u: UserProfile) => {
    onPick(u);
    latest.current = "";
    setQuery("");
    setResults([]);
  };
  const listId = `${testId}-results`;
  return (
    <div className="user-picker">
      <input
        placeholder={label}
        aria-label={label}
        value={query}
        onChange={(e) => void search(e.target.value)}
        role="combobox"
        aria-expanded={results.length > 0}
        aria-controls={listId}
        aria-activedescendant={results[selected] ? `${listId}-${results[selected].id}` : undefined}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown" && results.length > 0) {
            e.preventDefault();
            setSelected((i) => (i + 1) % results.length);
          } else if (e.key === "ArrowUp" && results.length > 0) {
            e.preventDefault();
            setSelected((i) => (i - 1 + results.length) % results.length);
          } else if (e.key === "Enter") {
            const u = results[selected];
            if (u) {
              e.preventDefault();
              pick(u);
            }
          } else if (e.key === "Escape" && (query || results.length > 0)) {
            // Clearing the picker is this Escape's job, not closing the panel around it.
            e.preventDefault();
            e.nativeEvent.preventDefault();
            latest.current = "";
            setQuery("");
            setResults([]);
          }
        }}
        data-testid={testId}
      />
      {results.length > 0 && (
        <ul className="picker-results" role="listbox" id={listId}>
          {results.map((u, i) => (
            <li key={u.id} role="option" id={`${listId}-${u.id}`} aria-selected={i === selected} className={i === selected ? "selected" : ""}>
              <button tabIndex={-1} onMouseDown={(e) => e.preventDefault()} onClick={() => pick(u)} data-testid={`pick-${u.id}`}>
                {u.displayName} <span className="muted">@{u.handle}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Drawn, not an emoji: emoji fonts are not everywhere. */
function LockIcon() {
  return (
    <svg className="lock" width="11" height="12" viewBox="0 0 11 12" aria-label="private" role="img">
      <rect x="1" y="5" width="9" height="7" rx="1.5" fill="currentColor" />
      <path d="M3 5V3.5a2.5 2.5 0 0 1 5 0V5" stroke="currentColor" strokeWidth="1.5" fill="none" />
    </svg>
  );
}

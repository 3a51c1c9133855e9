import { useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from "react";

import type { Api } from "../lib/api";
import { splitArchived } from "../lib/channel-settings";
import { conversationTitle } from "../lib/chat-controller";
import { dmShortTitle, isGroupDm } from "../lib/dm-names";
import { draftConversations, draftsVersion, subscribeDrafts } from "../lib/drafts";
import type { ConversationSummary, Me, UserProfile } from "../lib/types";
import type { PresenceStatus } from "../lib/signals";
import { PresenceDot } from "./Presence";

interface Props {
  me: Me;
  api: Api;
  conversations: ConversationSummary[];
  activeId: string | null;
  onOpen: (id: string) => void;
  onBrowse: () => void;
  onOpenDm: (userId: string) => void;
  /** The "New message" dialog: a DM with one person or a group DM. */
  onNewMessage: () => void;
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
  /** Presence of the people in DMs, and where to say whose the list shows. */
  presence?: Record<string, PresenceStatus>;
  onShowUsers?: (userIds: string[]) => void;
  /** My status and the away switch. */
  status?: ReactNode;
}

export function Sidebar({ me, api, conversations, activeId, onOpen, onBrowse, onOpenDm, onNewMessage, onSignOut, search, notifications, onRetention, onOperations, threadsActive, threadsUnread, onThreads, presence, onShowUsers, status }: Props) {
  const { current: channels, archived } = splitArchived(conversations.filter((c) => c.kind !== "dm"));
  const dms = conversations.filter((c) => c.kind === "dm");
  const dmPeople = dms.flatMap((c) => (c.members ?? []).filter((m) => m.id !== me.userId).map((m) => m.id));
  const dmKey = [...new Set(dmPeople)].sort().join(",");
  useEffect(() => onShowUsers?.(dmKey ? dmKey.split(",") : []), [dmKey, onShowUsers]);
  const drafts = useDrafts(`${me.tenantId}/${me.userId}`);
  return (
    <nav className="sidebar">
      <div className="me">
        <strong data-testid="me">{me.displayName}</strong>
        <span className="muted">
          @{me.handle} · {me.tenantId}
        </span>
        {status}
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
          <Item key={c.id} c={c} me={me.userId} active={!threadsActive && c.id === activeId} draft={drafts.has(c.id)} onOpen={onOpen} />
        ))}
      </ul>
      {archived.length > 0 && (
        <>
          <div className="section-title" id="archived-channels">
            Archived
          </div>
          <ul aria-labelledby="archived-channels" data-testid="archived-channels">
            {archived.map((c) => (
              <Item key={c.id} c={c} me={me.userId} active={!threadsActive && c.id === activeId} draft={drafts.has(c.id)} onOpen={onOpen} />
            ))}
          </ul>
        </>
      )}
      <div className="section-title">
        Direct messages
        <button className="link" onClick={onNewMessage} aria-haspopup="dialog" data-testid="new-message">
          New message
        </button>
      </div>
      <ul>
        {dms.map((c) => (
          <Item key={c.id} c={c} me={me.userId} active={!threadsActive && c.id === activeId} draft={drafts.has(c.id)} onOpen={onOpen} presence={presence} />
        ))}
      </ul>
      <UserPicker api={api} me={me.userId} label="New message to…" onPick={(u) => onOpenDm(u.id)} testId="dm-search" />
    </nav>
  );
}

/** The conversations holding a draft of mine (lib/drafts; `owner` is `tenant/user`), current as
 * I type in any tab. */
function useDrafts(owner: string): Set<string> {
  const version = useSyncExternalStore(subscribeDrafts, draftsVersion);
  // The version says when to read storage again.
  return useMemo(() => draftConversations(owner), [owner, version]);
}

function Item({ c, me, active, draft, onOpen, presence }: { c: ConversationSummary; me: string; active: boolean; draft: boolean; onOpen: (id: string) => void; presence?: Record<string, PresenceStatus> }) {
  const title = conversationTitle(c, me);
  const group = isGroupDm(c);
  // A one-to-one DM shows the other person's presence.
  const others = c.kind === "dm" ? (c.members ?? []).filter((m) => m.id !== me) : [];
  const other = others.length === 1 ? others[0] : undefined;
  return (
    <li>
      <button
        className={`conv ${active ? "active" : ""} ${c.unreadCount > 0 ? "unread" : ""} ${c.archived ? "archived" : ""}`}
        onClick={() => onOpen(c.id)}
        data-testid={`conv-${c.name ?? c.id}`}
        // A group DM's row may show only some names: the full list is its name and its tooltip.
        title={group ? title : undefined}
        aria-label={
          group ? `Group message with ${title}${c.unreadCount > 0 ? `, ${c.unreadCount} unread` : ""}` : c.archived ? `${title} (archived)` : undefined
        }
      >
        <span className="conv-name">
          {other && presence && <PresenceDot name={other.displayName} status={presence[other.id]} />}
          {c.kind === "private" && <LockIcon />}
          {group && <span className="people-count" aria-hidden="true">{(c.members?.length ?? 1) - 1}</span>}
          {group ? dmShortTitle(c, me) : title}
        </span>
        {/* Slack's cue: left mid-sentence (the open conversation shows its composer instead). */}
        {draft && !active && <PencilIcon />}
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
        aria-autocomplete="list"
        aria-controls={results.length > 0 ? listId : undefined}
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
        // Options, not buttons inside options: the input keeps focus (aria-activedescendant).
        <ul className="picker-results" role="listbox" id={listId} aria-label={label}>
          {results.map((u, i) => (
            <li
              key={u.id}
              role="option"
              id={`${listId}-${u.id}`}
              aria-selected={i === selected}
              className={i === selected ? "selected" : ""}
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => pick(u)}
              data-testid={`pick-${u.id}`}
            >
              {u.displayName} <span className="muted">@{u.handle}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function PencilIcon() {
  return (
    <svg className="draft-mark" width="13" height="13" viewBox="0 0 13 13" aria-label="draft" role="img" data-testid="draft-mark">
      <title>Draft</title>
      <path d="M2 9.5 8.8 2.7l1.5 1.5L3.5 11H2z" fill="currentColor" />
      <path d="M9.6 1.9l.8-.8a.8.8 0 0 1 1.1 0l.4.4a.8.8 0 0 1 0 1.1l-.8.8z" fill="currentColor" />
    </svg>
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

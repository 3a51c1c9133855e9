import { useState, type FormEvent } from "react";

import type { Api } from "../lib/api";
import type { SearchResult } from "../lib/types";
import { usePanel } from "./Dialog";

const HELP = 'Words, "phrases", a OR b, -word, from:@handle, in:#channel, in:@handle, has:file, has:link, is:mention, before:/after:/on:YYYY-MM-DD';

/** What the search box understands, shown in the results panel. */
const OPERATORS: [string, string][] = [
  ["deploy release", "both words"],
  ['"release notes"', "the exact phrase"],
  ["deploy OR release", "either word"],
  ["-staging", 'without the word (or -"a phrase")'],
  ["from:@alice", "written by alice"],
  ["in:#general", "in that channel"],
  ["in:@bob", "in your DM with bob"],
  ["has:file", "with an attachment"],
  ["has:link", "with a web link"],
  ["is:mention", "mentioning you"],
  ["on:2026-11-26", "that day, in your time zone"],
  ["before: after:", "before or after a day"],
];

/** The server names the field first (`q needs …`): say it as a person would. */
function readable(message: string): string {
  if (message.startsWith("q ")) return `The search ${message.slice(2)}`;
  if (message.startsWith("tz ")) return `Your time zone ${message.slice(3)}`;
  return message;
}

export function SearchBox({ onSearch }: { onSearch: (q: string) => void }) {
  const [q, setQ] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (q.trim()) onSearch(q.trim());
  };
  return (
    <form onSubmit={submit} className="search-box" role="search">
      <input value={q} onChange={(e) => setQ(e.target.value)} placeholder="Search messages" title={HELP} aria-label="Search messages" data-testid="search-input" />
    </form>
  );
}

/** Results with highlights; a click opens the conversation at that message (a reply: its thread, at it). */
export function SearchPanel({
  api,
  query,
  onOpen,
  onClose,
  dmTitle,
}: {
  api: Api;
  query: string;
  onOpen: (r: SearchResult) => void;
  onClose: () => void;
  /** A DM's name as the sidebar gives it (its people), if listed. */
  dmTitle?: (conversationId: string) => string | null;
}) {
  const [state, setState] = useState<{ q: string; items: SearchResult[]; cursor?: string; error?: string; loading: boolean }>({ q: "", items: [], loading: false });
  const [sort, setSort] = useState<"newest" | "relevance">("newest");
  usePanel(onClose);
  const load = async (q: string, cursor: string | undefined, order: "newest" | "relevance") => {
    setState((s) => ({ ...s, loading: true }));
    try {
      const page = await api.search(q, cursor, order);
      setState((s) => ({ q, items: cursor ? [...s.items, ...page.items] : page.items, cursor: page.nextCursor, loading: false }));
    } catch (e) {
      setState({ q, items: [], loading: false, error: e instanceof Error ? readable(e.message) : "search failed" });
    }
  };
  if (state.q !== query && !state.loading) void load(query, undefined, sort);
  return (
    <aside className="search-panel" data-testid="search-panel">
      <header>
        <h3>Results for “{query}”</h3>
        <select
          value={sort}
          onChange={(e) => {
            const order = e.target.value === "relevance" ? "relevance" : "newest";
            setSort(order);
            void load(query, undefined, order);
          }}
          aria-label="Order"
        >
          <option value="newest">Newest</option>
          <option value="relevance">Most relevant</option>
        </select>
        <button className="link" onClick={onClose}>
          Close
        </button>
      </header>
      {state.error && <p className="error">{state.error}</p>}
      <details className="search-help" data-testid="search-help">
        <summary>Search operators</summary>
        <dl>
          {OPERATORS.map(([example, meaning]) => (
            <div key={example}>
              <dt>
                <code>{example}</code>
              </dt>
              <dd>{meaning}</dd>
            </div>
          ))}
        </dl>
      </details>
      {!state.loading && !state.error && state.items.length === 0 && <p className="muted">No messages found.</p>}
      <ul aria-busy={state.loading} data-testid="search-results" data-query={state.q}>
        {state.items.map((r) => (
          <li key={r.message.id}>
            <button className="search-result" onClick={() => onOpen(r)} data-testid="search-result">
              <span className="meta">
                <strong>{r.conversation.kind === "dm" ? (dmTitle?.(r.conversation.id) ?? "Direct message") : `#${r.conversation.name ?? ""}`}</strong>
                <span className="muted"> · {r.author?.displayName ?? r.message.authorId} · {new Date(r.message.createdAt).toLocaleString()}</span>
                {r.message.threadRootId && (
                  <span className="in-thread" data-testid="search-in-thread">
                    reply in thread
                  </span>
                )}
              </span>
              <span className="snippet">
                {r.snippet.map((part, i) => (part.match ? <mark key={i}>{part.text}</mark> : <span key={i}>{part.text}</span>))}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {state.cursor && (
        <button onClick={() => void load(query, state.cursor, sort)} disabled={state.loading}>
          More results
        </button>
      )}
    </aside>
  );
}

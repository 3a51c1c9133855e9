// Where the page is, in its address: the conversation (#/c/<id>), the thread open beside it
// (#/c/<id>/t/<rootId>) and a linked message (#/c/<id>/m/<messageId>, or a reply:
// #/c/<id>/t/<rootId>/m/<replyId>). A reload, a copied link and the sign-in redirect come back
// to them; the browser's Back and Forward move between conversations (and, on a phone, between
// the panes: the list, the conversation, the thread). `#/` is the conversation list (a phone's
// first pane).

const PREFIX = "#/c/";

export interface Route {
  conversationId: string;
  threadRootId: string | null;
  /** A message to bring into view and flash: in the conversation, or in the thread when
   * `threadRootId` is set (a reply). */
  messageId: string | null;
}

function decode(part: string | undefined): string | null {
  if (!part || part.includes("/")) return null;
  try {
    return decodeURIComponent(part);
  } catch {
    return null;
  }
}

export function routeInUrl(hash: string = window.location.hash): Route | null {
  if (!hash.startsWith(PREFIX)) return null;
  const [id, ...rest] = hash.slice(PREFIX.length).split("/");
  const conversationId = decode(id);
  if (!conversationId) return null;
  const route: Route = { conversationId, threadRootId: null, messageId: null };
  for (let i = 0; i < rest.length; i += 2) {
    const value = decode(rest[i + 1]);
    if (!value) return null;
    // The thread comes first, the message last, each once.
    if (rest[i] === "t" && i === 0) route.threadRootId = value;
    else if (rest[i] === "m" && i + 2 === rest.length) route.messageId = value;
    else return null;
  }
  return route;
}

export function conversationInUrl(hash: string = window.location.hash): string | null {
  return routeInUrl(hash)?.conversationId ?? null;
}

export function routeHash(id: string, threadRootId: string | null = null, messageId: string | null = null): string {
  const thread = threadRootId ? `/t/${encodeURIComponent(threadRootId)}` : "";
  const message = messageId ? `/m/${encodeURIComponent(messageId)}` : "";
  return `${PREFIX}${encodeURIComponent(id)}${thread}${message}`;
}

/** The address of a route (null: the conversation list). */
export function hashOf(route: Route | null): string {
  return route ? routeHash(route.conversationId, route.threadRootId, route.messageId) : "#/";
}

/** The full address of a message, to share: a reply's opens its thread at it. */
export function messageLink(conversationId: string, messageId: string, threadRootId: string | null = null, location: Pick<Location, "origin" | "pathname" | "search"> = window.location): string {
  return `${location.origin}${location.pathname}${location.search}${routeHash(conversationId, threadRootId, messageId)}`;
}

/** How deep a route is among a phone's panes: the list, a conversation, a thread. */
function depth(route: Route | null): number {
  if (!route) return 0;
  return route.threadRootId ? 2 : 1;
}

/** Whether going from `current` to `next` makes a new history entry: when the conversation
 * changes, and when a phone goes a pane deeper (list → conversation → thread), so Back returns.
 * Otherwise the entry is replaced: a thread opened or closed beside a conversation, a link's
 * message forgotten, the page starting. */
export function pushesHistory(current: Route | null, next: Route | null, phone: boolean): boolean {
  if (current && next && current.conversationId !== next.conversationId) return true;
  return phone && depth(next) > depth(current);
}

/** Shows `route` in the address (see pushesHistory). The entry remembers whether it went a pane
 * deeper, so a Back control can go back through history instead of adding an entry. */
export function showRouteInUrl(route: Route | null, phone = false): void {
  const hash = hashOf(route);
  if (window.location.hash === hash) return;
  const current = routeInUrl();
  // Deeper in the same conversation (a phone's next pane): Back controls may go back through it.
  const deeper = depth(route) > depth(current) && (current === null || current.conversationId === route?.conversationId);
  if (pushesHistory(current, route, phone)) window.history.pushState({ deeper }, "", hash);
  else window.history.replaceState(window.history.state, "", hash);
}

/** The pane behind this one is the previous history entry (this one went deeper): a Back
 * control goes back through history, as the browser's Back would. */
export function backIsHistory(): boolean {
  const state: unknown = window.history.state;
  return typeof state === "object" && state !== null && (state as { deeper?: unknown }).deeper === true;
}

/** Where the reader was in a conversation: the message at the top of its list. */
export interface Place {
  conversationId: string;
  messageId: string;
}

/** The current history entry remembers the message at the top of the conversation's list, when
 * it is scrolled up from the newest (at the bottom there is nothing to remember: it reopens at
 * the newest). Read from the page as it is, just before leaving it. */
export function rememberPlace(conversationId: string): void {
  const scroller = document.querySelector<HTMLElement>('[data-testid="messages"] [data-virtuoso-scroller]');
  if (!scroller) return;
  const top = scroller.getBoundingClientRect().top;
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  const first = atBottom
    ? undefined
    : [...scroller.querySelectorAll<HTMLElement>('[data-testid="message"][data-message-id]')].find((el) => el.getBoundingClientRect().top >= top - 1);
  const state: unknown = window.history.state;
  const base = typeof state === "object" && state !== null ? state : {};
  const place: Place | null = first?.dataset.messageId ? { conversationId, messageId: first.dataset.messageId } : null;
  window.history.replaceState({ ...base, place }, "");
}

/** The place the current history entry remembers (see rememberPlace). */
export function placeInHistory(): Place | null {
  const state: unknown = window.history.state;
  if (typeof state !== "object" || state === null) return null;
  const place = (state as { place?: unknown }).place;
  if (typeof place !== "object" || place === null) return null;
  const { conversationId, messageId } = place as Record<string, unknown>;
  return typeof conversationId === "string" && typeof messageId === "string" ? { conversationId, messageId } : null;
}

// The HTTP API client: typed calls, typed errors. Network failures and 5xx are `retryable`.

import type {
  ArchiveFile,
  ArchivePolicy,
  ChannelDetails,
  MemberView,
  ConversationPolicy,
  RetentionSettings,
  TenantPolicy,
  SearchResults,
  UploadIntent,
  MessageVersion,
  Changes,
  ConversationSummary,
  Me,
  Message,
  MessagePage,
  NotificationLevel,
  PublicChannel,
  FollowedThread,
  ThreadPage,
  Reaction,
  UserProfile,
} from "./types";
import { SESSION_ENDED, type TokenSource } from "./auth-token";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** From `Retry-After` (429, some 503s): how long to wait before sending again. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
  /** The request may succeed if sent again (offline, server down or busy). */
  get retryable(): boolean {
    return this.status === 0 || this.status >= 500 || this.status === 429;
  }
}

/** `Retry-After` in seconds (what the API sends) or as an HTTP date. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export class Api {
  constructor(
    private readonly baseUrl: string,
    /** Asked at each request; a 401 renews once through it (then the session is over). */
    readonly tokens: TokenSource,
  ) {}

  private async request<T>(method: string, path: string, body?: unknown, extraHeaders: Record<string, string> = {}, init: Pick<RequestInit, "keepalive"> = {}): Promise<T> {
    if (this.tokens.isEnded) throw new ApiError(401, "session_ended", SESSION_ENDED);
    const send = async (token: string): Promise<Response> => {
      try {
        return await fetch(`${this.baseUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
            ...extraHeaders,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
          ...init,
        });
      } catch (e) {
        throw new ApiError(0, "network", e instanceof Error ? e.message : "network error");
      }
    };
    const token = await this.tokens.fresh();
    let response = await send(token);
    if (response.status === 401) {
      const renewed = await this.tokens.refused(token);
      if (renewed) {
        response = await send(renewed);
        // Refused with a token just renewed: this session cannot go on.
        if (response.status === 401) this.tokens.end(SESSION_ENDED);
      }
    }
    if (response.status === 204) {
      return undefined as T;
    }
    const text = await response.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ApiError(response.status, error?.code ?? "http_error", error?.message ?? response.statusText, retryAfterMs(response.headers.get("retry-after")));
    }
    return parsed as T;
  }

  me(): Promise<Me> {
    return this.request("GET", "/api/v1/me");
  }
  conversations(): Promise<{ items: ConversationSummary[] }> {
    return this.request("GET", "/api/v1/chat/conversations");
  }
  conversation(id: string): Promise<ConversationSummary> {
    return this.request("GET", `/api/v1/chat/conversations/${id}`);
  }
  publicChannels(cursor?: string): Promise<{ items: PublicChannel[]; nextCursor?: string }> {
    const query = cursor ? `?cursor=${encodeURIComponent(cursor)}` : "";
    return this.request("GET", `/api/v1/chat/channels${query}`);
  }
  createChannel(name: string, visibility: "public" | "private", topic?: string): Promise<ConversationSummary> {
    return this.request("POST", "/api/v1/chat/channels", { name, visibility, topic });
  }
  /** Renames a channel or edits its topic (an empty topic clears it): channel and tenant admins. */
  updateChannel(id: string, change: { name?: string; topic?: string }): Promise<ChannelDetails> {
    return this.request("PATCH", `/api/v1/chat/channels/${id}`, change);
  }
  /** Archives (read-only, out of browsing) or unarchives a channel. */
  setArchived(id: string, archived: boolean): Promise<ChannelDetails> {
    return this.request("POST", `/api/v1/chat/channels/${id}/${archived ? "archive" : "unarchive"}`);
  }
  join(id: string): Promise<ConversationSummary> {
    return this.request("POST", `/api/v1/chat/channels/${id}/join`);
  }
  leave(id: string): Promise<void> {
    return this.request("POST", `/api/v1/chat/channels/${id}/leave`);
  }
  /** One page of a channel's members (in user-id order); pass `nextCursor` for the next. */
  members(id: string, cursor?: string, limit = 100): Promise<{ items: MemberView[]; nextCursor?: string }> {
    const params = new URLSearchParams({ limit: String(limit) });
    if (cursor) params.set("cursor", cursor);
    return this.request("GET", `/api/v1/chat/channels/${id}/members?${params}`);
  }
  invite(id: string, userId: string): Promise<void> {
    return this.request("POST", `/api/v1/chat/channels/${id}/members`, { userId });
  }
  removeMember(id: string, userId: string): Promise<void> {
    return this.request("DELETE", `/api/v1/chat/channels/${id}/members/${encodeURIComponent(userId)}`);
  }
  openDm(userId: string): Promise<ConversationSummary> {
    return this.request("POST", "/api/v1/chat/dms", { userId });
  }
  /** The DM of me and `userIds` (one person: the ordinary DM; 2-7: a group DM). */
  openGroupDm(userIds: string[]): Promise<ConversationSummary> {
    return this.request("POST", "/api/v1/chat/dms", { userIds });
  }
  users(prefix: string): Promise<{ items: UserProfile[] }> {
    return this.request("GET", `/api/v1/chat/users?prefix=${encodeURIComponent(prefix)}`);
  }
  usersById(ids: string[]): Promise<{ items: UserProfile[] }> {
    return this.request("GET", `/api/v1/chat/users?ids=${ids.map(encodeURIComponent).join(",")}`);
  }
  history(id: string, before?: string, limit = 50): Promise<MessagePage> {
    const params = new URLSearchParams({ limit: String(limit) });
    if (before) params.set("before", before);
    return this.request("GET", `/api/v1/chat/conversations/${id}/messages?${params}`);
  }
  /** The page of messages just after `after` (oldest first): newer history around a search hit. */
  historyAfter(id: string, after: string, limit = 50): Promise<MessagePage> {
    const params = new URLSearchParams({ limit: String(limit), after });
    return this.request("GET", `/api/v1/chat/conversations/${id}/messages?${params}`);
  }
  changes(id: string, afterSeq: number): Promise<Changes> {
    return this.request("GET", `/api/v1/chat/conversations/${id}/changes?afterSeq=${afterSeq}&limit=500`);
  }
  /** A message, or a reply in the thread of `thread.rootId` (also shown in the channel when asked). */
  send(id: string, clientMessageId: string, body: string, mentions: string[], attachmentIds: string[] = [], thread?: { rootId: string; alsoInChannel?: boolean }): Promise<Message> {
    return this.request("POST", `/api/v1/chat/conversations/${id}/messages`, {
      clientMessageId,
      body,
      mentions,
      attachmentIds,
      ...(thread ? { threadRootId: thread.rootId, ...(thread.alsoInChannel ? { alsoInChannel: true } : {}) } : {}),
    });
  }
  /** A thread's root and a page of its replies, oldest first; `after` is the last page's nextCursor. */
  thread(id: string, rootId: string, after?: string, limit = 50): Promise<ThreadPage> {
    const params = new URLSearchParams({ limit: String(limit) });
    if (after) params.set("after", after);
    return this.request("GET", `/api/v1/chat/conversations/${id}/threads/${encodeURIComponent(rootId)}?${params}`);
  }
  /** My notification level in a conversation (stored on my membership). */
  setNotificationLevel(id: string, level: NotificationLevel): Promise<{ userId: string; level: NotificationLevel }> {
    return this.request("PUT", `/api/v1/chat/conversations/${id}/notifications`, { level });
  }

  follow(id: string, rootId: string, following: boolean): Promise<void> {
    return this.request(following ? "PUT" : "DELETE", `/api/v1/chat/conversations/${id}/threads/${encodeURIComponent(rootId)}/follow`);
  }
  /** The threads I follow, newest reply first. */
  followedThreads(cursor?: string, limit = 50): Promise<{ items: FollowedThread[]; nextCursor?: string }> {
    const params = new URLSearchParams({ limit: String(limit) });
    if (cursor) params.set("cursor", cursor);
    return this.request("GET", `/api/v1/chat/threads?${params}`);
  }
  markThreadRead(id: string, rootId: string): Promise<void> {
    return this.request("POST", `/api/v1/chat/conversations/${id}/threads/${encodeURIComponent(rootId)}/read`, undefined, {}, { keepalive: true });
  }
  uploadIntent(id: string, filename: string, contentType: string, size: number): Promise<UploadIntent> {
    return this.request("POST", `/api/v1/chat/conversations/${id}/uploads`, { filename, contentType, size });
  }
  /** `on:`/`before:`/`after:` days are the ones of `tz` (the browser's zone unless given). */
  search(q: string, cursor?: string, sort: "newest" | "relevance" = "newest", tz: string | undefined = browserTimeZone()): Promise<SearchResults> {
    const params = new URLSearchParams({ q, sort });
    if (tz) params.set("tz", tz);
    if (cursor) params.set("cursor", cursor);
    return this.request("GET", `/api/v1/chat/search?${params}`);
  }
  debug<T>(what: "metrics" | "rooms" | "connections", query = ""): Promise<T> {
    return this.request("GET", `/api/v1/super/debug/chat/${what}${query}`);
  }
  retention(): Promise<RetentionSettings> {
    return this.request("GET", "/api/v1/chat/retention");
  }
  setTenantRetention(policy: TenantPolicy): Promise<TenantPolicy> {
    return this.request("PUT", "/api/v1/chat/retention", policy);
  }
  setConversationRetention(id: string, policy: ConversationPolicy): Promise<ConversationPolicy> {
    return this.request("PUT", `/api/v1/chat/conversations/${id}/retention`, policy);
  }
  archivePolicy(): Promise<ArchivePolicy> {
    return this.request("GET", "/api/v1/chat/retention/archive-policy");
  }
  setArchivePolicy(policy: ArchivePolicy): Promise<ArchivePolicy> {
    return this.request("PUT", "/api/v1/chat/retention/archive-policy", policy);
  }
  /** Every archive file of a conversation (or of the days `from`..`to`): the server answers a
   * page at a time; this follows the pages (at most 100, 10,000 files). */
  async archive(conversationId: string, from?: string, to?: string): Promise<{ items: ArchiveFile[] }> {
    const items: ArchiveFile[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 100; page++) {
      const params = new URLSearchParams({ conversationId, limit: "100" });
      if (from) params.set("from", from);
      if (to) params.set("to", to);
      if (cursor) params.set("cursor", cursor);
      const answer: { items: ArchiveFile[]; nextCursor?: string } = await this.request("GET", `/api/v1/chat/retention/archive?${params}`);
      items.push(...answer.items);
      cursor = answer.nextCursor;
      if (!cursor) break;
    }
    return { items };
  }
  attachmentUrl(attachmentId: string): Promise<{ url: string; expiresAt: string }> {
    return this.request("GET", `/api/v1/chat/attachments/${encodeURIComponent(attachmentId)}`, undefined, { accept: "application/json" });
  }
  /** Adds (`add`) or removes my reaction; the answer is the message's reactions after it. */
  react(id: string, messageId: string, emoji: string, add: boolean): Promise<{ messageId: string; reactions: Reaction[] }> {
    return this.request(add ? "PUT" : "DELETE", `/api/v1/chat/conversations/${id}/messages/${messageId}/reactions/${encodeURIComponent(emoji)}`);
  }

  edit(id: string, messageId: string, body: string, mentions: string[]): Promise<Message> {
    return this.request("PATCH", `/api/v1/chat/conversations/${id}/messages/${messageId}`, { body, mentions });
  }
  remove(id: string, messageId: string): Promise<Message> {
    return this.request("DELETE", `/api/v1/chat/conversations/${id}/messages/${messageId}`);
  }
  /** An edited message's earlier texts, newest first. */
  versions(id: string, messageId: string): Promise<{ items: MessageVersion[] }> {
    return this.request("GET", `/api/v1/chat/conversations/${id}/messages/${messageId}/versions`);
  }
  markRead(id: string, messageId: string): Promise<void> {
    // Outlives the page: a read marked just before a reload or a closed tab still arrives.
    return this.request("POST", `/api/v1/chat/conversations/${id}/read`, { messageId }, {}, { keepalive: true });
  }
}

export async function devToken(baseUrl: string, tenantId: string, userId: string, displayName: string, roles: string[] = []): Promise<string> {
  const response = await fetch(`${baseUrl}/api/v1/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ tenantId, userId, displayName, roles }),
  });
  const body = (await response.json()) as { token?: string; error?: { message: string } };
  if (!response.ok || !body.token) {
    throw new ApiError(response.status, "dev_token", body.error?.message ?? "sign-in failed");
  }
  return body.token;
}

/** The IANA time zone the browser runs in (`Europe/Berlin`), if it says. */
export function browserTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}

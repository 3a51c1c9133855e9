// Shapes of the HTTP API and WebSocket frames (see docs/CHAT.md and /api/v1/openapi.json).

import type { components } from "./api-schema";

export interface Attachment {
  id: string;
  name: string;
  size: number;
  contentType: string;
}

export interface Message {
  id: string;
  conversationId: string;
  seq: number;
  updatedSeq: number;
  authorId: string;
  body: string;
  mentions: string[];
  attachments: Attachment[];
  clientMessageId: string;
  createdAt: string;
  editedAt?: string;
  deletedAt?: string;
  /** On a reply: the top-level message it replies to (threads are one level deep). */
  threadRootId?: string;
  /** On a reply also sent to the channel: it shows in the main list too. */
  alsoInChannel?: true;
  /** On a root with replies: the thread so far; on a reply: the thread as of that reply. */
  thread?: ThreadSummary;
  /** Absent when none: each emoji in the order first used, with who reacted. */
  reactions?: Reaction[];
}

export interface ThreadSummary {
  replyCount: number;
  lastReplyAt: string;
  /** Orders summaries: the one with the higher lastReplySeq is the newer. */
  lastReplySeq: number;
  /** Distinct reply authors, most recent first, at most 5. */
  participantIds: string[];
}

/** GET .../threads/{rootId}: the root, a page of its replies (oldest first). */
export interface ThreadPage {
  root: Message;
  items: Message[];
  nextCursor?: string;
  following: boolean;
}

/** A thread in the Threads view. */
export interface FollowedThread {
  conversationId: string;
  root: Message;
  unreadReplies: number;
  /** Up to the last 2 replies, oldest first. */
  lastReplies: Message[];
}

export type ConversationKind = "public" | "private" | "dm";

export interface UserProfile {
  id: string;
  handle: string;
  displayName: string;
}

export interface ConversationSummary {
  id: string;
  kind: ConversationKind;
  name?: string;
  topic?: string;
  members?: UserProfile[];
  role: "admin" | "member";
  lastSeq: number;
  /** The seq of the newest message I have read here. */
  readSeq?: number;
  unreadCount: number;
  mentionCount: number;
  lastMessageAt?: string;
  /** Read-only until unarchived (channels only). */
  archived?: boolean;
  /** When I am notified here (lib/notifications.ts); the server always sends it. */
  notificationLevel?: NotificationLevel;
}

/** Browser notifications for a conversation: every message, mentions (and followed thread
 * replies) only, or none. */
export type NotificationLevel = "all" | "mentions" | "nothing";

export interface PublicChannel {
  id: string;
  name: string;
  topic?: string;
  joined: boolean;
  archived?: boolean;
}

/** A channel as renaming, editing its topic or (un)archiving it left it. */
export type ChannelDetails = Schemas["ChannelDetails"];

export interface Me {
  tenantId: string;
  userId: string;
  handle: string;
  displayName: string;
  roles: string[];
}

// Events are the server's own type (shared/src/domain/event.rs), through the OpenAPI document
// (docs/openapi.json, checked against the code by the server's tests) and the types generated
// from it (api-schema.d.ts, checked against the document by api-schema.test.ts): one definition.
type Schemas = components["schemas"];

/** A change as a WebSocket frame or a catch-up item: `{type, conversationId, seq, data}`. */
export type ChatEvent = Schemas["Event"];
/** Typing and presence: socket frames of their own, never stored (lib/signals). */
export type { SignalFrame } from "./signals";
import type { SignalFrame } from "./signals";
export type EventType = ChatEvent["type"];
export type MessageEvent = Extract<ChatEvent, { type: "chat:newMessage" | "chat:messageUpdated" | "chat:messageDeleted" }>;
export type MemberEvent = Extract<ChatEvent, { type: "chat:memberAdded" | "chat:memberRemoved" }>;
export type ReadEvent = Extract<ChatEvent, { type: "chat:conversationRead" }>;
export type ReactionEvent = Extract<ChatEvent, { type: "chat:reactionAdded" | "chat:reactionRemoved" }>;
export type ConversationUpdatedEvent = Extract<ChatEvent, { type: "chat:conversationUpdated" }>;
export type NotificationLevelEvent = Extract<ChatEvent, { type: "chat:notificationLevel" }>;
export type Reaction = Schemas["Reaction"];
/** A message event's data: the message as it is now, or one retention has removed since. */
export type MessageState = Schemas["MessageState"];
export type RemovedMessage = Schemas["RemovedMessage"];
/** An earlier text of an edited message (`GET …/messages/{id}/versions`). */
export type MessageVersion = Schemas["MessageVersion"];

export function isRemoved(state: MessageState): state is RemovedMessage {
  return "removed" in state;
}

export interface Changes {
  items: ChatEvent[];
  lastSeq: number;
  hasMore: boolean;
  /** The change log no longer reaches back to `afterSeq`: load the conversation again. */
  resync?: boolean;
}

export interface MessagePage {
  items: Message[];
  nextCursor?: string;
}

export interface SubscribedConversation {
  conversationId: string;
  lastSeq: number;
}

export type ServerFrame =
  | ChatEvent
  | SignalFrame
  | { type: "subscribed"; conversations: SubscribedConversation[] }
  | { type: "pong" }
  | { type: "error"; code: string; message: string };

export interface UploadIntent {
  uploadId: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  expiresAt: string;
}

export interface SnippetPart {
  text: string;
  match: boolean;
}

export interface SearchResult {
  message: Message;
  conversation: { id: string; kind: ConversationKind; name?: string };
  author?: UserProfile;
  snippet: SnippetPart[];
}

export interface SearchResults {
  items: SearchResult[];
  nextCursor?: string;
}

export interface TenantPolicy {
  retentionDays: number | null;
  legalHold: boolean;
}

export interface ConversationPolicy {
  retentionDays: number | null;
  exempt: boolean;
  legalHold: boolean;
}

export interface RetentionSettings {
  tenant: TenantPolicy;
  conversations: (ConversationPolicy & { conversationId: string })[];
}

/** How the archive keeps messages (shared/src/domain/retention.rs `ArchivePolicy`). */
export interface ArchivePolicy {
  complianceExport: boolean;
  /** `null`: the archive keeps every day forever. */
  archiveRetentionDays: number | null;
  purgeDeleted: boolean;
}

export interface ArchiveFile {
  key: string;
  day: string;
  size: number;
  url: string;
}

export interface MemberView extends UserProfile {
  role: "admin" | "member";
  joinedAt: string;
}

// Shapes of the HTTP API and WebSocket frames (see docs/CHAT.md and /api/v1/openapi.json).

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
}

export interface PublicChannel {
  id: string;
  name: string;
  topic?: string;
  joined: boolean;
}

export interface Me {
  tenantId: string;
  userId: string;
  handle: string;
  displayName: string;
  roles: string[];
}

export type EventType =
  | "chat:newMessage"
  | "chat:messageUpdated"
  | "chat:messageDeleted"
  | "chat:memberAdded"
  | "chat:memberRemoved"
  | "chat:conversationRead";

export interface MessageEvent {
  type: "chat:newMessage" | "chat:messageUpdated" | "chat:messageDeleted";
  conversationId: string;
  seq: number;
  data: Message;
}

export interface MemberEvent {
  type: "chat:memberAdded" | "chat:memberRemoved";
  conversationId: string;
  seq: number;
  data: { userId: string };
}

export interface ReadEvent {
  type: "chat:conversationRead";
  conversationId: string;
  seq: number;
  data: { userId: string; seq: number };
}

export type ChatEvent = MessageEvent | MemberEvent | ReadEvent;

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

/** How the archive keeps messages (shared/src/domain/chat/compliance.rs `ArchivePolicy`). */
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

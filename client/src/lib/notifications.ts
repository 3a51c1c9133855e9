// Browser notifications: which new message notifies at which level, and what the notification
// says. Pure, so the rules are unit-tested without a browser; lib/controller/notifier.ts shows them.

import { plainText } from "./markdown";
import { inMainList } from "./threads";
import type { ConversationSummary, Message, NotificationLevel } from "./types";

/** The labels the level control shows, in its order. */
export const LEVELS: readonly { level: NotificationLevel; label: string; hint: string }[] = [
  { level: "all", label: "All new messages", hint: "Every message, every reply in threads you follow" },
  { level: "mentions", label: "Mentions", hint: "Mentions of you and replies in threads you follow" },
  { level: "nothing", label: "Nothing", hint: "No notifications (unread counts stay)" },
];

/** Longest snippet a notification body shows (the system cuts long ones anyway, unevenly). */
export const SNIPPET_LENGTH = 140;

/** The level that applies: what the server says, or (an older answer) the default of the kind,
 * as the server decides it (shared/src/domain/conversation.rs `NotificationLevel::default_for`). */
export function levelOf(c: Pick<ConversationSummary, "kind" | "notificationLevel">): NotificationLevel {
  return c.notificationLevel ?? (c.kind === "dm" ? "all" : "mentions");
}

export type NotifyReason = "message" | "mention" | "reply";

export interface NotifyContext {
  me: string;
  conversation: Pick<ConversationSummary, "kind" | "notificationLevel">;
  /** Whether I follow the thread a reply is in. */
  follows: (rootId: string) => boolean;
}

/** Why `message` notifies me, or null when it does not. A reply that lives in its thread only
 * notifies at `all` only when I follow the thread, as in Slack. */
export function notifyReason(message: Message, { me, conversation, follows }: NotifyContext): NotifyReason | null {
  const level = levelOf(conversation);
  if (message.authorId === me || level === "nothing" || message.deletedAt) return null;
  if (message.mentions.includes(me)) return "mention";
  const followedReply = Boolean(message.threadRootId && follows(message.threadRootId));
  if (followedReply) return "reply";
  if (level === "all" && inMainList(message)) return "message";
  return null;
}

export interface NotificationText {
  title: string;
  body: string;
}

/** Title: the sender, and where they wrote when that is not a DM with them alone; body: the
 * message as plain text, cut at SNIPPET_LENGTH. */
export function notificationText(message: Message, where: string, sender: string, oneToOne: boolean, reason: NotifyReason): NotificationText {
  const title = reason === "reply" ? `${sender} replied in ${where}` : oneToOne ? sender : `${sender} in ${where}`;
  const text = plainText(message.body);
  const files = message.attachments.length;
  const body = text || (files > 0 ? `Sent ${files === 1 ? "a file" : `${files} files`}` : "");
  return { title, body: body.length > SNIPPET_LENGTH ? `${body.slice(0, SNIPPET_LENGTH - 1).trimEnd()}…` : body };
}

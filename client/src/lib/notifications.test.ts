import { describe, expect, it } from "vitest";

import { plainText } from "./markdown";
import { levelOf, notificationText, notifyReason, SNIPPET_LENGTH, type NotifyContext } from "./notifications";
import type { ConversationKind, Message, NotificationLevel } from "./types";

function message(over: Partial<Message> = {}): Message {
  return {
    id: "m1",
    conversationId: "C1",
    seq: 3,
    updatedSeq: 3,
    authorId: "bob",
    body: "hello",
    mentions: [],
    attachments: [],
    clientMessageId: "x",
    createdAt: "2026-12-07T10:00:00.000Z",
    ...over,
  };
}

function ctx(kind: ConversationKind, notificationLevel?: NotificationLevel, followed: string[] = []): NotifyContext {
  return { me: "ann", conversation: { kind, notificationLevel }, follows: (root) => followed.includes(root) };
}

describe("which message notifies at which level", () => {
  it("defaults as Slack does: every DM message, only mentions in a channel", () => {
    expect(levelOf({ kind: "dm" })).toBe("all");
    expect(levelOf({ kind: "public" })).toBe("mentions");
    expect(levelOf({ kind: "private" })).toBe("mentions");
    expect(levelOf({ kind: "public", notificationLevel: "all" })).toBe("all");
    expect(notifyReason(message(), ctx("dm"))).toBe("message");
    expect(notifyReason(message(), ctx("public"))).toBeNull();
  });

  it("a mention notifies at all and mentions, never at nothing", () => {
    const mention = message({ mentions: ["ann"], body: "@ann look" });
    expect(notifyReason(mention, ctx("public", "mentions"))).toBe("mention");
    expect(notifyReason(mention, ctx("public", "all"))).toBe("mention");
    expect(notifyReason(mention, ctx("public", "nothing"))).toBeNull();
    expect(notifyReason(mention, ctx("dm", "nothing"))).toBeNull();
  });

  it("a channel at all notifies every message of the main list", () => {
    expect(notifyReason(message(), ctx("public", "all"))).toBe("message");
    expect(notifyReason(message(), ctx("private", "all"))).toBe("message");
  });

  it("a reply notifies when I follow its thread (all or mentions), a reply elsewhere does not", () => {
    const reply = message({ threadRootId: "root1" });
    expect(notifyReason(reply, ctx("public", "mentions", ["root1"]))).toBe("reply");
    expect(notifyReason(reply, ctx("public", "all", ["root1"]))).toBe("reply");
    expect(notifyReason(reply, ctx("public", "nothing", ["root1"]))).toBeNull();
    expect(notifyReason(reply, ctx("public", "mentions"))).toBeNull();
    // At all, a reply in a thread I do not follow stays in its thread (Slack's rule) ...
    expect(notifyReason(reply, ctx("public", "all"))).toBeNull();
    // ... unless it was also sent to the channel.
    expect(notifyReason(message({ threadRootId: "root1", alsoInChannel: true }), ctx("public", "all"))).toBe("message");
  });

  it("never my own message, whatever the level", () => {
    const mine = message({ authorId: "ann", mentions: ["ann"], threadRootId: "root1" });
    for (const level of ["all", "mentions", "nothing"] as const) expect(notifyReason(mine, ctx("dm", level, ["root1"]))).toBeNull();
  });
});

describe("what a notification says", () => {
  it("a DM with one person: their name; elsewhere: who and where; a reply says so", () => {
    expect(notificationText(message(), "Bob", "Bob", true, "message").title).toBe("Bob");
    expect(notificationText(message(), "#general", "Bob", false, "mention").title).toBe("Bob in #general");
    expect(notificationText(message(), "#general", "Bob", false, "reply").title).toBe("Bob replied in #general");
  });

  it("the body is the message as plain text, cut to a snippet", () => {
    const formatted = message({ body: "**Deploy** is _done_, see [the log](https://example.com)\n\n> `ok`" });
    expect(notificationText(formatted, "#ops", "Bob", false, "message").body).toBe("Deploy is done, see the log ok");
    const long = notificationText(message({ body: "word ".repeat(100) }), "#ops", "Bob", false, "message").body;
    expect(long.length).toBeLessThanOrEqual(SNIPPET_LENGTH);
    expect(long.endsWith("…")).toBe(true);
    expect(notificationText(message({ body: "", attachments: [{ id: "a", name: "f.pdf", size: 1, contentType: "application/pdf" }] }), "#ops", "Bob", false, "message").body).toBe("Sent a file");
  });

  it("raw HTML and a body past the parser's bounds stay text", () => {
    expect(plainText("<b>hi</b> there")).toBe("<b>hi</b> there");
    expect(plainText(">".repeat(40) + " deep")).toBe(">".repeat(40) + " deep");
    expect(plainText("- one\n- two")).toBe("one two");
  });
});

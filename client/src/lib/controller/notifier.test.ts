import { describe, expect, it } from "vitest";

import type { ConversationSummary, Message } from "../types";
import { Notifier, type NotifyEnv } from "./notifier";
import { ChatState } from "./state";

const ANN = { tenantId: "acme", userId: "ann", handle: "ann", displayName: "Ann", roles: [] };

function conversation(id: string, over: Partial<ConversationSummary> = {}): ConversationSummary {
  return { id, kind: "public", name: id, role: "member", lastSeq: 0, unreadCount: 0, mentionCount: 0, ...over };
}

function message(over: Partial<Message> = {}): Message {
  return { id: "m1", conversationId: "D1", seq: 1, updatedSeq: 1, authorId: "bob", body: "hi **Ann**", mentions: [], attachments: [], clientMessageId: "c", createdAt: "2026-12-07T10:00:00.000Z", ...over };
}

function setup(page: { hidden: boolean; permission: NotificationPermission }) {
  const shown: { title: string; body: string; tag: string; click: () => void }[] = [];
  const opened: Message[] = [];
  let focused = 0;
  const env: NotifyEnv = {
    hidden: () => page.hidden,
    permission: () => page.permission,
    show: (title, { body, tag }, click) => shown.push({ title, body, tag, click }),
    locks: undefined,
    channel: () => null,
    onVisibilityChange: () => () => undefined,
    onPageHide: () => () => undefined,
    onPageShow: () => () => undefined,
    focus: () => void focused++,
  };
  const state = new ChatState(ANN);
  state.set({
    conversations: [
      conversation("D1", { kind: "dm", name: undefined, members: [{ id: "ann", handle: "ann", displayName: "Ann" }, { id: "bob", handle: "bob", displayName: "Bob" }] }),
      conversation("general"),
      conversation("quiet", { notificationLevel: "nothing" }),
    ],
  });
  const notifier = new Notifier({ state, follows: async () => false, userName: async () => "Bob", openMessage: (m) => opened.push(m), messagesAfter: async (id, seq) => [message({ id: `after-${seq}`, conversationId: id })], refreshConversations: async () => state.set({ conversations: [...state.get().conversations, conversation("new-dm", { kind: "dm" })] }) }, env);
  notifier.start();
  return { notifier, shown, opened, focused: () => focused, state };
}

describe("the notifier", () => {
  it("a DM while the page is hidden: one notification, titled with the sender, a plain snippet; a click focuses and opens it", async () => {
    const t = setup({ hidden: true, permission: "granted" });
    await t.notifier.onMessage(message());
    await t.notifier.onMessage(message());
    expect(t.shown.map(({ title, body, tag }) => ({ title, body, tag }))).toEqual([{ title: "Bob", body: "hi Ann", tag: "m1" }]);
    t.shown[0]?.click();
    expect(t.focused()).toBe(1);
    expect(t.opened.map((m) => m.id)).toEqual(["m1"]);
  });

  it("the first message of a DM not listed yet notifies once the list has it", async () => {
    const t = setup({ hidden: true, permission: "granted" });
    await t.notifier.onMessage(message({ id: "first", conversationId: "new-dm" }));
    expect(t.shown.map((s) => s.tag)).toEqual(["first"]);
  });

  it("what was written in a DM opened to me before my tab subscribed notifies, once", async () => {
    const t = setup({ hidden: true, permission: "granted" });
    await t.notifier.onJoined("D1", 2);
    await t.notifier.onMessage(message({ id: "after-2" }));
    expect(t.shown.map((s) => s.tag)).toEqual(["after-2"]);
  });

  it("nothing while the page is visible, without permission, or at level nothing", async () => {
    const visible = setup({ hidden: false, permission: "granted" });
    await visible.notifier.onMessage(message());
    const denied = setup({ hidden: true, permission: "denied" });
    await denied.notifier.onMessage(message());
    const quiet = setup({ hidden: true, permission: "granted" });
    await quiet.notifier.onMessage(message({ id: "q", conversationId: "quiet", mentions: ["ann"] }));
    expect([visible.shown.length, denied.shown.length, quiet.shown.length]).toEqual([0, 0, 0]);
  });

  it("a channel at mentions: a plain message does not notify, a mention does; the level the event set applies", async () => {
    const t = setup({ hidden: true, permission: "granted" });
    await t.notifier.onMessage(message({ id: "p", conversationId: "general" }));
    await t.notifier.onMessage(message({ id: "m", conversationId: "general", mentions: ["ann"] }));
    t.state.patchConversation("general", (c) => ({ ...c, notificationLevel: "all" }));
    await t.notifier.onMessage(message({ id: "a", conversationId: "general" }));
    expect(t.shown.map((s) => [s.tag, s.title])).toEqual([
      ["m", "Bob in #general"],
      ["a", "Bob in #general"],
    ]);
  });
});

import { describe, expect, it } from "vitest";

import { Api } from "./api";
import { TokenSource } from "./auth-token";
import { ChatController } from "./chat-controller";
import { canManageChannel, splitArchived, withChannelState } from "./channel-settings";
import { TEST_CONVERSATION as C, testMessage as message } from "./test-messages";
import type { Changes, ConversationSummary } from "./types";

function summary(patch: Partial<ConversationSummary> = {}): ConversationSummary {
  return { id: C, kind: "public", name: "general", topic: "old topic", role: "member", lastSeq: 2, readSeq: 2, unreadCount: 0, mentionCount: 0, ...patch };
}

describe("channel settings", () => {
  it("are for a channel's admins and tenant admins, never in a DM", () => {
    expect(canManageChannel(summary({ role: "admin" }), { roles: [] })).toBe(true);
    expect(canManageChannel(summary({ role: "member" }), { roles: [] })).toBe(false);
    expect(canManageChannel(summary({ role: "member", kind: "private" }), { roles: ["tenant-admin"] })).toBe(true);
    expect(canManageChannel(summary({ role: "admin", kind: "dm" }), { roles: ["tenant-admin"] })).toBe(false);
  });

  it("take the whole state a change left: a cleared topic is gone, the rest of the summary stays", () => {
    const after = withChannelState(summary({ unreadCount: 3 }), { name: "town", archived: true, updatedBy: "alice" });
    expect(after).toEqual({ ...summary({ unreadCount: 3, name: "town", archived: true }), topic: undefined });
    expect("topic" in after).toBe(false);
    expect(withChannelState(summary(), { id: C, name: "general", topic: "new", archived: false }).topic).toBe("new");
  });

  it("keep archived channels apart, in their order", () => {
    const a = summary({ id: "a", name: "a" });
    const b = summary({ id: "b", name: "b", archived: true });
    const c = summary({ id: "c", name: "c", archived: false });
    expect(splitArchived([a, b, c])).toEqual({ current: [a, c], archived: [b] });
  });
});

/** The conversation list and one page of catch-up, scripted. */
class ScriptedApi extends Api {
  constructor(private readonly changePage: Changes) {
    super("http://unused", new TokenSource("token", null));
  }
  override conversations(): Promise<{ items: ConversationSummary[] }> {
    return Promise.resolve({ items: [summary()] });
  }
  override changes(): Promise<Changes> {
    return Promise.resolve(this.changePage);
  }
}

describe("a channel changed while I was away", () => {
  it("is renamed and archived by catch-up, and its seqs leave no gap", async () => {
    const api = new ScriptedApi({
      items: [
        { type: "chat:conversationUpdated", conversationId: C, seq: 3, data: { name: "town", topic: "plans", archived: false, updatedBy: "bob" } },
        { type: "chat:conversationUpdated", conversationId: C, seq: 4, data: { name: "town", archived: true, updatedBy: "bob" } },
      ],
      lastSeq: 4,
      hasMore: false,
    });
    const controller = new ChatController(api, "ws://unused", api.tokens, { tenantId: "acme", userId: "alice", handle: "alice", displayName: "Alice", roles: [] });
    await controller.refreshConversations();
    controller.store.addHistory(C, [message(1), message(2)], undefined, 2);

    await controller.catchUp(C);

    const [channel] = controller.getSnapshot().conversations;
    expect(channel?.name).toBe("town");
    expect(channel?.topic).toBeUndefined();
    expect(channel?.archived).toBe(true);
    expect(controller.store.lastSeq(C)).toBe(4);
  });
});

import { describe, expect, it, vi } from "vitest";

import { Api } from "./api";
import { TokenSource } from "./auth-token";
import { ChatController } from "./chat-controller";
import { TEST_CONVERSATION as C, stubPage, testMessage } from "./test-messages";
import type { Changes, ChatEvent, ConversationSummary, MessagePage } from "./types";

const OTHER = "C01JOTHERCONVERSATION00000";
const DM = "D0000000000000000000000000000000";

function summary(id: string, over: Partial<ConversationSummary> = {}): ConversationSummary {
  return { id, kind: "public", name: id === C ? "general" : "random", role: "member", lastSeq: 2, readSeq: 2, unreadCount: 0, mentionCount: 0, ...over };
}

/** Scripted answers; records what the controller asked, in order (socket frames included). */
class FakeApi extends Api {
  readonly log: string[] = [];
  lists: ConversationSummary[][] = [];

  constructor() {
    super("http://unused", new TokenSource("token", null));
  }
  override conversations(): Promise<{ items: ConversationSummary[] }> {
    this.log.push("conversations");
    return Promise.resolve({ items: this.lists.length > 1 ? (this.lists.shift() ?? []) : (this.lists[0] ?? []) });
  }
  override history(id: string): Promise<MessagePage> {
    return Promise.resolve({ items: id === C ? [testMessage(1, { authorId: "alice" }), testMessage(2, { authorId: "alice" })] : [] });
  }
  override changes(): Promise<Changes> {
    return Promise.resolve({ items: [], lastSeq: 2, hasMore: false });
  }
  override markRead(id: string, messageId: string): Promise<void> {
    this.log.push(`read ${id} ${messageId}`);
    return Promise.resolve();
  }
}

/** The controller's private event entry (lib/controller/membership.ts) and socket
 * (lib/controller/connection.ts), for driving it without a server. */
interface Internals {
  membership: { onEvent(event: ChatEvent): Promise<void> };
  connection: { socket: { subscribe(ids: string[]): void } | null };
}

function newMessage(conversationId: string, seq: number): ChatEvent {
  return { type: "chat:newMessage", conversationId, seq, data: testMessage(seq, { conversationId, authorId: "alice" }) };
}

function setup() {
  const api = new FakeApi();
  const controller = new ChatController(api, "ws://unused", api.tokens, { tenantId: "acme", userId: "bob", handle: "bob", displayName: "Bob", roles: [] });
  const inner = controller as unknown as Internals;
  inner.connection.socket = { subscribe: (ids) => api.log.push(`subscribe ${ids.join(",")}`) };
  const badge = (id: string) => controller.getSnapshot().conversations.find((c) => c.id === id)?.unreadCount;
  return { api, controller, inner, badge };
}

describe("ChatController unread", () => {
  stubPage({ fakeTimers: true });

  it("marks what arrives while reading on the server, though the badge never rose", async () => {
    const { api, controller, inner, badge } = setup();
    api.lists = [[summary(C), summary(OTHER)]];
    await controller.refreshConversations();
    await controller.open(C);
    // Already read that far on the server: nothing to mark.
    expect(api.log.filter((l) => l.startsWith("read"))).toEqual([]);

    await inner.membership.onEvent(newMessage(C, 3));
    expect(badge(C)).toBe(0);
    await vi.runAllTimersAsync();
    expect(api.log.filter((l) => l.startsWith("read"))).toEqual([`read ${C} ${testMessage(3).id}`]);

    // A burst is marked in few calls, the last one at the newest.
    for (let seq = 4; seq <= 13; seq++) {
      await inner.membership.onEvent(newMessage(C, seq));
      await vi.advanceTimersByTimeAsync(50);
    }
    await vi.runAllTimersAsync();
    const reads = api.log.filter((l) => l.startsWith("read")).slice(1);
    expect(reads.length).toBeLessThanOrEqual(3);
    expect(reads.at(-1)).toBe(`read ${C} ${testMessage(13).id}`);
    expect(badge(C)).toBe(0);
  });

  it("a message read just before a reload is marked on the server, though the page is hidden by then", async () => {
    const listeners = new Map<string, () => void>();
    vi.stubGlobal("window", { addEventListener: (type: string, f: () => void) => listeners.set(type, f), removeEventListener: () => {} });
    const { api, controller, inner } = setup();
    (controller as unknown as { reading: { watch(cleanups: (() => void)[]): void } }).reading.watch([]);
    api.lists = [[summary(C)]];
    await controller.refreshConversations();
    await controller.open(C);
    await inner.membership.onEvent(newMessage(C, 3));
    await vi.runAllTimersAsync();
    // The next one arrives within the throttle: its mark waits, and the reader reloads.
    await inner.membership.onEvent(newMessage(C, 4));
    vi.stubGlobal("document", { hasFocus: () => false, visibilityState: "hidden" });
    listeners.get("pagehide")?.();
    await vi.runAllTimersAsync();
    expect(api.log.filter((l) => l.startsWith("read"))).toEqual([`read ${C} ${testMessage(3).id}`, `read ${C} ${testMessage(4).id}`]);
  });

  it("does not mark read while the list is scrolled up; reaching the bottom does", async () => {
    const { api, controller, inner, badge } = setup();
    api.lists = [[summary(C)]];
    await controller.refreshConversations();
    await controller.open(C);
    controller.setAtBottom(C, false);
    await inner.membership.onEvent(newMessage(C, 3));
    await vi.runAllTimersAsync();
    expect(badge(C)).toBe(1);
    expect(api.log.some((l) => l.startsWith("read"))).toBe(false);
    controller.setAtBottom(C, true);
    await vi.runAllTimersAsync();
    expect(badge(C)).toBe(0);
    expect(api.log.filter((l) => l.startsWith("read"))).toEqual([`read ${C} ${testMessage(3).id}`]);
  });

  it("counts a duplicate frame once, loaded or not", async () => {
    const { api, controller, inner, badge } = setup();
    const never = "C01JNEVEROPENED00000000000";
    api.lists = [[summary(C), summary(OTHER), summary(never, { name: "never" })]];
    await controller.refreshConversations();
    await controller.open(C);
    await controller.open(OTHER);
    for (const id of [C, never, OTHER]) {
      await inner.membership.onEvent(newMessage(id, 3));
      await inner.membership.onEvent(newMessage(id, 3));
    }
    expect(badge(C)).toBe(1);
    expect(badge(never)).toBe(1);
    // The open one is read as it arrives.
    expect(badge(OTHER)).toBe(0);
  });

  it("subscribes to a conversation I was added to before asking for the list", async () => {
    const { api, controller, inner, badge } = setup();
    api.lists = [[summary(C)], [summary(C), summary(DM, { kind: "dm", name: undefined, lastSeq: 2, readSeq: 0 })]];
    await controller.refreshConversations();
    api.log.length = 0;
    await inner.membership.onEvent({ type: "chat:memberAdded", conversationId: DM, seq: 2, data: { userId: "bob" } });
    expect(api.log).toEqual([`subscribe ${DM}`, "conversations"]);
    // Its first message counts, even one that came before the list knew it.
    await inner.membership.onEvent(newMessage(DM, 3));
    expect(badge(DM)).toBe(1);
  });

  it("keeps a message that arrived while the list request was out", async () => {
    const { api, controller, inner, badge } = setup();
    api.lists = [[summary(C), summary(OTHER)]];
    await controller.refreshConversations();
    await controller.open(C);
    // The answer was computed before OTHER's message 3 committed.
    const pending = controller.refreshConversations();
    await inner.membership.onEvent(newMessage(OTHER, 3));
    await pending;
    expect(badge(OTHER)).toBe(1);
  });
});

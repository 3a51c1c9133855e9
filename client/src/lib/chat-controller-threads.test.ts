import { describe, expect, it, vi } from "vitest";

import { Api } from "./api";
import { TokenSource } from "./auth-token";
import { ChatController } from "./chat-controller";
import { TEST_CONVERSATION as C, stubPage, testMessage } from "./test-messages";
import type { Changes, ChatEvent, ConversationSummary, FollowedThread, Message, MessagePage, ThreadPage } from "./types";

const ROOT = testMessage(1, { authorId: "bob" });

function reply(seq: number, count: number, over: Partial<Message> = {}): Message {
  return testMessage(seq, { authorId: "carol", threadRootId: ROOT.id, thread: { replyCount: count, lastReplyAt: "t", lastReplySeq: seq, participantIds: ["carol"] }, ...over });
}

/** Scripted answers; records what the controller asked. */
class FakeApi extends Api {
  readonly log: string[] = [];
  followed: FollowedThread[] = [];

  constructor() {
    super("http://unused", new TokenSource("token", null));
  }
  override conversations(): Promise<{ items: ConversationSummary[] }> {
    return Promise.resolve({ items: [{ id: C, kind: "public", name: "general", role: "member", lastSeq: 3, readSeq: 3, unreadCount: 0, mentionCount: 0 }] });
  }
  override history(): Promise<MessagePage> {
    return Promise.resolve({ items: [{ ...ROOT, thread: reply(3, 2).thread }] });
  }
  override changes(): Promise<Changes> {
    return Promise.resolve({ items: [], lastSeq: 3, hasMore: false });
  }
  override markRead(): Promise<void> {
    return Promise.resolve();
  }
  override thread(_id: string, rootId: string, after?: string): Promise<ThreadPage> {
    this.log.push(`thread ${rootId === ROOT.id ? "root" : rootId} after ${after ?? "start"}`);
    const root = { ...ROOT, thread: reply(3, 2).thread };
    return Promise.resolve(after ? { root, items: [reply(3, 2)], following: true } : { root, items: [reply(2, 1)], nextCursor: "p2", following: true });
  }
  override markThreadRead(_id: string, rootId: string): Promise<void> {
    this.log.push(`read thread ${rootId === ROOT.id ? "root" : rootId}`);
    return Promise.resolve();
  }
  override followedThreads(): Promise<{ items: FollowedThread[] }> {
    this.log.push("followed");
    return Promise.resolve({ items: this.followed });
  }
}

interface Internals {
  membership: { onEvent(event: ChatEvent): Promise<void> };
  sync: { refreshConversations(): Promise<void> };
}

async function setup() {
  const api = new FakeApi();
  api.followed = [{ conversationId: C, root: { ...ROOT, thread: reply(3, 2).thread }, unreadReplies: 2, lastReplies: [reply(2, 1), reply(3, 2)] }];
  const controller = new ChatController(api, "ws://unused", api.tokens, { tenantId: "acme", userId: "bob", handle: "bob", displayName: "Bob", roles: [] });
  const inner = controller as unknown as Internals;
  await inner.sync.refreshConversations();
  await controller.open(C);
  return { api, controller, inner };
}

describe("ChatController threads", () => {
  stubPage();

  it("opens a thread beside its conversation: every page after the first, following, read", async () => {
    const { api, controller } = await setup();
    await (controller as unknown as { threads: { refreshFollowed(): Promise<void> } }).threads.refreshFollowed();
    expect(controller.getSnapshot().followed[0]?.unreadReplies).toBe(2);
    await controller.openThread(C, ROOT.id);
    expect(api.log).toEqual(["followed", "thread root after start", "thread root after p2", "read thread root"]);
    const view = controller.thread(C, ROOT.id);
    expect(view.replies.map((m) => m.seq)).toEqual([2, 3]);
    expect(controller.getSnapshot().thread).toMatchObject({ conversationId: C, rootId: ROOT.id, following: true });
    expect(controller.getSnapshot().followed[0]?.unreadReplies).toBe(0);
  });

  it("a live reply goes to the open thread and the root's summary, not to the list nor the unread badge", async () => {
    const { controller, inner } = await setup();
    await controller.openThread(C, ROOT.id);
    await inner.membership.onEvent({ type: "chat:newMessage", conversationId: C, seq: 4, data: reply(4, 3) } as ChatEvent);
    expect(controller.thread(C, ROOT.id).replies.map((m) => m.seq)).toEqual([2, 3, 4]);
    expect(controller.store.list(C).map((m) => m.seq)).toEqual([1]);
    expect(controller.store.list(C)[0]?.thread?.replyCount).toBe(3);
    expect(controller.getSnapshot().conversations[0]?.unreadCount).toBe(0);
  });

  it("a search hit in a thread opens that thread at the reply", async () => {
    const { controller } = await setup();
    const hit = reply(3, 2);
    await controller.openSearchHit({ message: hit, conversation: { id: C, kind: "public", name: "general" }, snippet: [] });
    expect(controller.getSnapshot().thread).toMatchObject({ rootId: ROOT.id, highlightId: hit.id });
    expect(controller.getSnapshot().activeId).toBe(C);
  });

  it("another conversation closes the panel; the Threads view replaces the conversation", async () => {
    const { controller } = await setup();
    await controller.openThread(C, ROOT.id);
    controller.showThreads();
    expect(controller.getSnapshot()).toMatchObject({ showThreads: true, thread: null });
    await controller.openThread(C, ROOT.id);
    expect(controller.getSnapshot()).toMatchObject({ showThreads: false, thread: { rootId: ROOT.id } });
  });
});

import { describe, expect, it, vi } from "vitest";

import { Api, ApiError } from "./api";
import { TokenSource } from "./auth-token";
import { ChatController } from "./chat-controller";
import { TEST_CONVERSATION as C, stubPage, testMessage } from "./test-messages";
import type { Changes, ConversationSummary, MessagePage, ThreadPage } from "./types";

/** 300 messages; the newest page is the last 50. Records what the controller asked. */
const ALL = Array.from({ length: 300 }, (_, i) => testMessage(i + 1));
const LINKED = ALL[59];

class FakeApi extends Api {
  readonly log: string[] = [];

  constructor() {
    super("http://unused", new TokenSource("token", null));
  }
  override conversations(): Promise<{ items: ConversationSummary[] }> {
    return Promise.resolve({ items: [{ id: C, kind: "public", name: "long", role: "member", lastSeq: 300, readSeq: 300, unreadCount: 0, mentionCount: 0 }] });
  }
  override history(_id: string, before?: string, limit = 50): Promise<MessagePage> {
    this.log.push(`before ${before === LINKED?.id ? "linked" : (before ?? "newest")} ${limit}`);
    const end = before ? ALL.findIndex((m) => m.id === before) : ALL.length;
    const items = ALL.slice(Math.max(0, end - limit), end);
    return Promise.resolve({ items, nextCursor: end - limit > 0 ? items[0]?.id : undefined });
  }
  override historyAfter(_id: string, after: string, limit = 50): Promise<MessagePage> {
    this.log.push(`after ${after === LINKED?.id ? "linked" : after} ${limit}`);
    const start = ALL.findIndex((m) => m.id === after) + 1;
    const items = ALL.slice(start, start + limit);
    return Promise.resolve({ items, nextCursor: start + limit < ALL.length ? items.at(-1)?.id : undefined });
  }
  override thread(_id: string, rootId: string, _after?: string, limit = 50): Promise<ThreadPage> {
    this.log.push(`thread ${rootId === LINKED?.id ? "linked" : rootId} ${limit}`);
    const root = ALL.find((m) => m.id === rootId);
    if (!root) return Promise.reject(new ApiError(404, "not_found", "no such message"));
    return Promise.resolve({ root, items: [], following: false });
  }
  override changes(): Promise<Changes> {
    return Promise.resolve({ items: [], lastSeq: 300, hasMore: false });
  }
  override markRead(): Promise<void> {
    return Promise.resolve();
  }
}

async function setup() {
  const api = new FakeApi();
  const controller = new ChatController(api, "ws://unused", api.tokens, { tenantId: "acme", userId: "bob", handle: "bob", displayName: "Bob", roles: [] });
  await controller.refreshConversations();
  return { api, controller };
}

describe("ChatController links", () => {
  stubPage({ fakeTimers: true });

  it("opens a linked message far back: the message and the pages around it, flashed", async () => {
    const { api, controller } = await setup();
    await controller.openLink(C, null, LINKED?.id ?? "");
    expect(api.log).toEqual(["thread linked 1", "before newest 50", "before linked 25", "after linked 25"]);
    const shown = controller.visibleMessages(C).map((m) => m.seq);
    expect(shown).toContain(60);
    expect(shown[0]).toBe(35);
    expect(controller.getSnapshot()).toMatchObject({ activeId: C, shownId: C, highlightId: LINKED?.id, missingId: null });
    // The flash ends by itself.
    vi.advanceTimersByTime(5000);
    expect(controller.getSnapshot().highlightId).toBeNull();
  });

  it("a message already held needs no request of its own", async () => {
    const { api, controller } = await setup();
    await controller.open(C);
    api.log.length = 0;
    await controller.openLink(C, null, ALL[289]?.id ?? "");
    expect(api.log).toEqual([]);
    expect(controller.getSnapshot().highlightId).toBe(ALL[289]?.id);
  });

  it("back to where I was: the list opens at that message, without a flash", async () => {
    const { controller } = await setup();
    await controller.returnTo(C, LINKED?.id ?? "");
    expect(controller.getSnapshot()).toMatchObject({ activeId: C, shownId: C, anchorId: LINKED?.id, highlightId: null });
    expect(controller.visibleMessages(C).map((m) => m.seq)).toContain(60);
    // Opening it again otherwise forgets the place.
    await controller.open(C);
    expect(controller.getSnapshot().anchorId).toBeNull();
  });

  it("a conversation not mine is said to be unavailable, and nothing of it is asked", async () => {
    const { api, controller } = await setup();
    await controller.openLink("C01OTHERCONVERSATION000000", null, LINKED?.id ?? "");
    expect(api.log).toEqual([]);
    expect(controller.getSnapshot()).toMatchObject({ missingId: "C01OTHERCONVERSATION000000", activeId: null });
    // Opening one of mine leaves that state.
    await controller.open(C);
    expect(controller.getSnapshot()).toMatchObject({ missingId: null, activeId: C });
  });

  it("a message that is not there: the conversation opens at its newest, and says so", async () => {
    const { controller } = await setup();
    await controller.openLink(C, null, "01JMSGNOSUCHMESSAGE0000000");
    expect(controller.getSnapshot()).toMatchObject({ activeId: C, shownId: C, highlightId: null });
    expect(controller.getSnapshot().toasts.map((t) => t.text)).toEqual(["That message is not available: it may have been deleted."]);
  });
});

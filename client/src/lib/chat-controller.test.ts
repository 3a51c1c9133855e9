import { describe, expect, it } from "vitest";

import { Api } from "./api";
import { TokenSource } from "./auth-token";
import { ChatController } from "./chat-controller";
import { TEST_CONVERSATION as C, testMessage as message } from "./test-messages";
import type { Changes, MessagePage } from "./types";

/** Answers catch-up and history from scripted pages, and records what was asked. */
class ScriptedApi extends Api {
  readonly asked: string[] = [];

  constructor(
    private readonly changePages: Map<number, Changes>,
    private readonly newest: MessagePage,
  ) {
    super("http://unused", new TokenSource("token", null));
  }

  override changes(_id: string, afterSeq: number): Promise<Changes> {
    this.asked.push(`changes after ${afterSeq}`);
    const page = this.changePages.get(afterSeq);
    return page ? Promise.resolve(page) : Promise.reject(new Error(`no page after ${afterSeq}`));
  }

  override history(_id: string, before?: string): Promise<MessagePage> {
    this.asked.push(`history before ${before ?? "now"}`);
    return Promise.resolve(this.newest);
  }
}

describe("ChatController catch-up", () => {
  it("reloads a conversation from history when the change log no longer reaches back, then catches up", async () => {
    const api = new ScriptedApi(
      new Map<number, Changes>([
        [2, { items: [], lastSeq: 95, hasMore: false, resync: true }],
        [95, { items: [{ type: "chat:newMessage", conversationId: C, seq: 96, data: message(96) }], lastSeq: 96, hasMore: false }],
      ]),
      { items: [message(90), message(91)], nextCursor: "older" },
    );
    const controller = new ChatController(api, "ws://unused", api.tokens, {
      tenantId: "acme",
      userId: "alice",
      handle: "alice",
      displayName: "Alice",
      roles: [],
    });
    controller.store.addHistory(C, [message(1), message(2)], undefined, 2);

    await controller.catchUp(C);

    expect(api.asked).toEqual(["changes after 2", "history before now", "changes after 95"]);
    expect(controller.store.list(C).map((m) => m.seq)).toEqual([90, 91, 96]);
    expect(controller.store.lastSeq(C)).toBe(96);
    expect(controller.store.olderCursor(C)).toBe("older");
  });
});

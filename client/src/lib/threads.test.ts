import { describe, expect, it } from "vitest";

import { followedAfterReply, unreadReplies } from "./controller/threads";
import { MessageStore } from "./store/messages";
import { TEST_CONVERSATION as C, testMessage as message } from "./test-messages";
import { inMainList, newerSummary, replyCountLabel } from "./threads";
import type { ChatEvent, FollowedThread, Message, ThreadSummary } from "./types";

const ROOT = message(1, { authorId: "alice" });

function summary(lastReplySeq: number, replyCount: number, participantIds: string[] = ["bob"]): ThreadSummary {
  return { replyCount, lastReplyAt: new Date(lastReplySeq * 1000).toISOString(), lastReplySeq, participantIds };
}

/** A reply to ROOT at `seq`, carrying the thread's summary as of it. */
function reply(seq: number, count: number, over: Partial<Message> = {}): Message {
  return message(seq, { threadRootId: ROOT.id, thread: summary(seq, count), ...over });
}

function arrived(m: Message): ChatEvent {
  return { type: "chat:newMessage", conversationId: C, seq: m.seq, data: m } as ChatEvent;
}

describe("thread rules", () => {
  it("keeps replies out of the main list unless also sent to the channel", () => {
    expect(inMainList(ROOT)).toBe(true);
    expect(inMainList(reply(2, 1))).toBe(false);
    expect(inMainList(reply(2, 1, { alsoInChannel: true }))).toBe(true);
  });

  it("takes the summary with the higher lastReplySeq, whichever order they come in", () => {
    const older = summary(3, 1);
    const newer = summary(5, 2);
    expect(newerSummary(older, newer)).toBe(newer);
    expect(newerSummary(newer, older)).toBe(newer);
    expect(newerSummary(undefined, older)).toBe(older);
    expect(newerSummary(older, undefined)).toBe(older);
    expect(replyCountLabel(1)).toBe("1 reply");
    expect(replyCountLabel(3)).toBe("3 replies");
  });
});

describe("MessageStore threads", () => {
  it("puts replies in their thread and their summary on the root, live and in catch-up, idempotently", () => {
    const store = new MessageStore("alice");
    store.addHistory(C, [ROOT], undefined, 1);
    expect(store.applyEvent(arrived(reply(2, 1)))).toBe("applied");
    // Gap detection is unchanged: a reply takes the conversation's seq like any change.
    expect(store.applyEvent(arrived(reply(4, 3)))).toBe("gap");
    store.applyChanges(C, { items: [arrived(reply(3, 2)), arrived(reply(4, 3))], lastSeq: 4, hasMore: false });
    expect(store.list(C).map((m) => m.id)).toEqual([ROOT.id]);
    expect(store.list(C)[0]?.thread?.replyCount).toBe(3);
    // A late duplicate of an older reply does not take the summary back.
    store.applyEvent(arrived(reply(2, 1)));
    expect(store.list(C)[0]?.thread?.replyCount).toBe(3);
    expect(store.thread(C, ROOT.id).replies.map((m) => m.seq)).toEqual([2, 3, 4]);
  });

  it("shows a reply also sent to the channel in both places", () => {
    const store = new MessageStore("alice");
    store.addHistory(C, [ROOT], undefined, 1);
    store.applyEvent(arrived(reply(2, 1, { alsoInChannel: true })));
    expect(store.list(C).map((m) => m.seq)).toEqual([1, 2]);
    expect(store.thread(C, ROOT.id).replies.map((m) => m.seq)).toEqual([2]);
  });

  it("merges a thread page with replies that arrived before it, and keeps the newest summary on both roots", () => {
    const store = new MessageStore("alice");
    store.addHistory(C, [ROOT], undefined, 1);
    store.applyEvent(arrived(reply(2, 1)));
    store.applyEvent(arrived(reply(3, 2)));
    // The page left before reply 3: its root's summary is older; the root's own version is the same.
    store.addThreadPage(C, { root: { ...ROOT, thread: summary(2, 1) }, items: [reply(2, 1)], nextCursor: "next", following: true });
    const view = store.thread(C, ROOT.id);
    expect(view.root?.thread?.replyCount).toBe(2);
    expect(view.replies.map((m) => m.seq)).toEqual([2, 3]);
    expect(view.loaded).toBe(true);
    expect(view.afterCursor).toBe("next");
  });

  it("holds a root far back (outside the main list's pages) in its thread only", () => {
    const store = new MessageStore("alice");
    store.addHistory(C, [message(50)], "older", 50);
    store.addThreadPage(C, { root: { ...ROOT, thread: summary(51, 1) }, items: [reply(51, 1)], following: false });
    expect(store.list(C).map((m) => m.seq)).toEqual([50]);
    expect(store.thread(C, ROOT.id).root?.id).toBe(ROOT.id);
    // The root deleted: a tombstone that keeps its thread readable.
    store.applyEvent({ type: "chat:messageDeleted", conversationId: C, seq: 52, data: { ...ROOT, body: "", deletedAt: "now", updatedSeq: 52, thread: summary(51, 1) } } as ChatEvent);
    expect(store.thread(C, ROOT.id).root).toMatchObject({ deletedAt: "now", thread: { replyCount: 1 } });
    expect(store.thread(C, ROOT.id).replies).toHaveLength(1);
  });

  it("shows an unsent reply in its thread, and the server's copy replaces it", () => {
    const confirmed: string[] = [];
    const store = new MessageStore("alice", (cm) => confirmed.push(cm));
    store.addHistory(C, [ROOT], undefined, 1);
    store.showUnsent({ conversationId: C, clientMessageId: "cm-r", body: "hi", mentions: [], attachments: [], uploadIds: [], since: 1, state: "pending", threadRootId: ROOT.id });
    expect(store.list(C)).toHaveLength(1);
    expect(store.thread(C, ROOT.id).replies.map((m) => m.state)).toEqual(["pending"]);
    store.confirmSent(reply(2, 1, { authorId: "alice", clientMessageId: "cm-r", body: "hi" }));
    expect(store.thread(C, ROOT.id).replies.map((m) => m.state)).toEqual(["sent"]);
    expect(confirmed).toEqual(["cm-r"]);
  });
});

describe("followed threads", () => {
  const entry: FollowedThread = { conversationId: C, root: { ...ROOT, thread: summary(2, 1) }, unreadReplies: 0, lastReplies: [reply(2, 1)] };
  const other: FollowedThread = { conversationId: C, root: message(9, { thread: summary(10, 1) }), unreadReplies: 2, lastReplies: [] };

  it("counts another person's new reply once, moves the thread to the top, keeps the last two replies", () => {
    const once = followedAfterReply([other, entry], reply(3, 2), "alice", false);
    expect(once?.map((t) => t.root.id)).toEqual([ROOT.id, other.root.id]);
    expect(once?.[0]).toMatchObject({ unreadReplies: 1, root: { thread: { replyCount: 2 } } });
    const twice = followedAfterReply(once ?? [], reply(3, 2), "alice", false);
    expect(twice?.[0]?.unreadReplies).toBe(1);
    const third = followedAfterReply(twice ?? [], reply(4, 3), "alice", false);
    expect(third?.[0]?.lastReplies.map((r) => r.seq)).toEqual([3, 4]);
    expect(unreadReplies(third ?? [])).toBe(4);
  });

  it("does not count my own reply nor one read as it arrives, and ignores threads not followed", () => {
    expect(followedAfterReply([entry], reply(3, 2, { authorId: "alice" }), "alice", false)?.[0]?.unreadReplies).toBe(0);
    expect(followedAfterReply([{ ...entry, unreadReplies: 3 }], reply(3, 2), "alice", true)?.[0]?.unreadReplies).toBe(0);
    expect(followedAfterReply([other], reply(3, 2), "alice", false)).toBeNull();
  });
});

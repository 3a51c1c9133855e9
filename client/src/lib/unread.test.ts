import { describe, expect, it } from "vitest";

import { testMessage, TEST_CONVERSATION as C } from "./test-messages";
import type { ChatEvent } from "./types";
import { countedChange, UnreadLedger } from "./unread";

const ME = "me";

function newMessage(seq: number, authorId = "bob", mentions: string[] = []): ChatEvent {
  return { type: "chat:newMessage", conversationId: C, seq, data: testMessage(seq, { authorId, mentions }) };
}

function deleted(changeSeq: number, messageSeq: number, authorId = "bob"): ChatEvent {
  // The tombstone: body and mentions emptied, the message's own seq kept.
  return { type: "chat:messageDeleted", conversationId: C, seq: changeSeq, data: testMessage(messageSeq, { authorId, body: "", mentions: [], updatedSeq: changeSeq, deletedAt: "x" }) };
}

function ledgerAt(lastSeq: number, readSeq: number, unreadCount: number, mentionCount = 0): UnreadLedger {
  const ledger = new UnreadLedger(ME);
  ledger.fromServer(C, { lastSeq, readSeq, unreadCount, mentionCount });
  return ledger;
}

const shown = (l: UnreadLedger) => {
  const c = l.counts(C);
  return c && { unread: c.unreadCount, mentions: c.mentionCount };
};

describe("live messages", () => {
  it("count other people's messages and mentions of me", () => {
    const l = ledgerAt(10, 10, 0);
    l.apply(C, countedChange(newMessage(11), ME));
    l.apply(C, countedChange(newMessage(12, "carol", [ME]), ME));
    expect(shown(l)).toEqual({ unread: 2, mentions: 1 });
    expect(l.counts(C)?.lastSeq).toBe(12);
  });

  it("my own message reads everything before it, as the server's send does", () => {
    const l = ledgerAt(10, 5, 3, 1);
    l.apply(C, countedChange(newMessage(11, ME), ME));
    expect(shown(l)).toEqual({ unread: 0, mentions: 0 });
    l.apply(C, countedChange(newMessage(12), ME));
    expect(shown(l)).toEqual({ unread: 1, mentions: 0 });
  });

  it("a duplicate frame counts once, before or after the base and out of order", () => {
    const l = ledgerAt(10, 10, 0);
    expect(l.apply(C, countedChange(newMessage(12), ME))).not.toBeNull();
    expect(l.apply(C, countedChange(newMessage(11), ME))).not.toBeNull();
    expect(l.apply(C, countedChange(newMessage(12), ME))).toBeNull();
    expect(l.apply(C, countedChange(newMessage(11), ME))).toBeNull();
    // Already in the server's answer.
    expect(l.apply(C, countedChange(newMessage(9), ME))).toBeNull();
    expect(shown(l)).toEqual({ unread: 2, mentions: 0 });
  });

  it("changes seen before the first answer count once it comes", () => {
    const l = new UnreadLedger(ME);
    expect(l.apply(C, countedChange(newMessage(3), ME))).toBeNull();
    expect(l.counts(C)).toBeNull();
    // The answer left before message 3 committed.
    l.fromServer(C, { lastSeq: 2, readSeq: 0, unreadCount: 0, mentionCount: 0 });
    expect(shown(l)).toEqual({ unread: 1, mentions: 0 });
  });
});

describe("reactions", () => {
  it("never count as unread or as mentions, added or removed, on any message", () => {
    const l = ledgerAt(10, 8, 2, 1);
    const reaction = (type: "chat:reactionAdded" | "chat:reactionRemoved", seq: number, userId: string): ChatEvent => ({
      type,
      conversationId: C,
      seq,
      data: { messageId: testMessage(9).id, emoji: "👍", userId },
    });
    expect(countedChange(reaction("chat:reactionAdded", 11, "bob"), ME)).toEqual({ kind: "other", seq: 11 });
    l.apply(C, countedChange(reaction("chat:reactionAdded", 11, "bob"), ME));
    l.apply(C, countedChange(reaction("chat:reactionAdded", 12, ME), ME));
    l.apply(C, countedChange(reaction("chat:reactionRemoved", 13, "bob"), ME));
    expect(shown(l)).toEqual({ unread: 2, mentions: 1 });
    l.apply(C, countedChange(newMessage(14), ME));
    expect(shown(l)).toEqual({ unread: 3, mentions: 1 });
  });
});

describe("deleted messages", () => {
  it("an unread one lowers the count, and its mention when the store knew it", () => {
    const l = ledgerAt(10, 8, 2, 1);
    l.apply(C, countedChange(deleted(11, 10), ME, true));
    expect(shown(l)).toEqual({ unread: 1, mentions: 0 });
    expect(l.counts(C)?.uncertain).toBe(false);
  });

  it("a read one, or my own, changes nothing", () => {
    const l = ledgerAt(10, 8, 2);
    l.apply(C, countedChange(deleted(11, 7), ME, false));
    l.apply(C, countedChange(deleted(12, 9, ME), ME, false));
    expect(shown(l)).toEqual({ unread: 2, mentions: 0 });
  });

  it("one that arrived live is known, mention included", () => {
    const l = ledgerAt(10, 10, 0);
    l.apply(C, countedChange(newMessage(11, "bob", [ME]), ME));
    l.apply(C, countedChange(newMessage(12), ME));
    l.apply(C, countedChange(deleted(13, 11), ME));
    expect(shown(l)).toEqual({ unread: 1, mentions: 0 });
    expect(l.counts(C)?.uncertain).toBe(false);
  });

  it("one missed live (a gap) was never counted, so it does not lower the count", () => {
    const l = ledgerAt(10, 10, 0);
    l.apply(C, countedChange(newMessage(12), ME));
    l.apply(C, countedChange(deleted(13, 11), ME));
    expect(shown(l)).toEqual({ unread: 1, mentions: 0 });
  });

  it("unknown mentions with a mention count: the server is asked", () => {
    const l = ledgerAt(10, 8, 2, 1);
    l.apply(C, countedChange(deleted(11, 10), ME, null));
    expect(shown(l)).toEqual({ unread: 1, mentions: 1 });
    expect(l.counts(C)?.uncertain).toBe(true);
  });

  it("a duplicate delete lowers the count once", () => {
    const l = ledgerAt(10, 8, 2);
    l.apply(C, countedChange(deleted(11, 10), ME, false));
    expect(l.apply(C, countedChange(deleted(11, 10), ME, false))).toBeNull();
    expect(shown(l)).toEqual({ unread: 1, mentions: 0 });
  });
});

describe("edits", () => {
  it("a mention added to an unread message counts, one removed stops counting", () => {
    const l = ledgerAt(10, 10, 0);
    l.apply(C, countedChange(newMessage(11), ME));
    const edit = (seq: number, mentions: string[]): ChatEvent => ({ type: "chat:messageUpdated", conversationId: C, seq, data: testMessage(11, { mentions, updatedSeq: seq }) });
    l.apply(C, countedChange(edit(12, [ME]), ME));
    expect(shown(l)).toEqual({ unread: 1, mentions: 1 });
    l.apply(C, countedChange(edit(13, []), ME));
    expect(shown(l)).toEqual({ unread: 1, mentions: 0 });
  });
});

describe("reading", () => {
  it("reading through the newest clears both counts", () => {
    const l = ledgerAt(10, 4, 6, 2);
    l.read(C, 10);
    expect(shown(l)).toEqual({ unread: 0, mentions: 0 });
    expect(l.counts(C)?.readSeq).toBe(10);
  });

  it("messages after what I read still count", () => {
    const l = ledgerAt(10, 10, 0);
    l.read(C, 10);
    l.apply(C, countedChange(newMessage(11), ME));
    expect(shown(l)).toEqual({ unread: 1, mentions: 0 });
    l.read(C, 11);
    expect(shown(l)).toEqual({ unread: 0, mentions: 0 });
  });

  it("reading part of what the server counted asks the server", () => {
    const l = ledgerAt(10, 4, 6);
    l.read(C, 7);
    expect(l.counts(C)?.uncertain).toBe(true);
  });
});

describe("an answer that left before newer local state", () => {
  it("a conversation read locally after the request left stays read", () => {
    const l = ledgerAt(10, 4, 6);
    l.read(C, 10);
    // The answer was computed before the read reached the server.
    const c = l.fromServer(C, { lastSeq: 10, readSeq: 4, unreadCount: 6, mentionCount: 0 });
    expect(c.unreadCount).toBe(0);
    expect(c.uncertain).toBe(false);
  });

  it("a message that arrived after the request left is not lost", () => {
    const l = ledgerAt(10, 10, 0);
    l.apply(C, countedChange(newMessage(11), ME));
    l.apply(C, countedChange(newMessage(12), ME));
    // The server answered after 11 committed, before 12.
    const c = l.fromServer(C, { lastSeq: 11, readSeq: 10, unreadCount: 1, mentionCount: 0 });
    expect(c.unreadCount).toBe(2);
    // Message 11 again (catch-up) is in the answer now.
    expect(l.apply(C, countedChange(newMessage(11), ME))).toBeNull();
    expect(shown(l)).toEqual({ unread: 2, mentions: 0 });
  });

  it("the server's count wins for what it covers (missed frames are reconciled)", () => {
    const l = ledgerAt(10, 10, 0);
    l.apply(C, countedChange(newMessage(11), ME));
    const c = l.fromServer(C, { lastSeq: 14, readSeq: 10, unreadCount: 4, mentionCount: 1 });
    expect([c.unreadCount, c.mentionCount]).toEqual([4, 1]);
  });

  it("an answer older than the one applied is ignored", () => {
    const l = ledgerAt(10, 10, 0);
    l.fromServer(C, { lastSeq: 12, readSeq: 10, unreadCount: 2, mentionCount: 0 });
    const c = l.fromServer(C, { lastSeq: 11, readSeq: 10, unreadCount: 1, mentionCount: 0 });
    expect(c.unreadCount).toBe(2);
    // The same seq with a further read is newer.
    expect(l.fromServer(C, { lastSeq: 12, readSeq: 12, unreadCount: 0, mentionCount: 0 }).unreadCount).toBe(0);
  });

  it("a deletion after the answer of a message inside it lowers the count", () => {
    const l = ledgerAt(10, 10, 0);
    l.apply(C, countedChange(newMessage(11), ME));
    l.apply(C, countedChange(newMessage(12), ME));
    l.apply(C, countedChange(deleted(13, 11), ME));
    const c = l.fromServer(C, { lastSeq: 12, readSeq: 10, unreadCount: 2, mentionCount: 0 });
    expect(c.unreadCount).toBe(1);
    // And the server's answer once it has the deletion says the same.
    expect(l.fromServer(C, { lastSeq: 13, readSeq: 10, unreadCount: 1, mentionCount: 0 }).unreadCount).toBe(1);
  });
});

describe("messages retention removed", () => {
  it("change no count: they are past the retention period, long read", () => {
    const l = ledgerAt(10, 10, 0);
    const removed: ChatEvent = { type: "chat:messageDeleted", conversationId: C, seq: 11, data: { id: "01JOLD", conversationId: C, removed: true } };
    expect(countedChange(removed, ME)).toEqual({ kind: "other", seq: 11 });
    l.apply(C, countedChange(removed, ME));
    l.apply(C, countedChange(newMessage(12), ME));
    expect(shown(l)).toEqual({ unread: 1, mentions: 0 });
  });
});

describe("thread replies", () => {
  const ROOT_ID = testMessage(1).id;
  function reply(seq: number, authorId = "bob", mentions: string[] = [], alsoInChannel = false): ChatEvent {
    const data = testMessage(seq, { authorId, mentions, threadRootId: ROOT_ID, ...(alsoInChannel ? { alsoInChannel: true as const } : {}) });
    return { type: "chat:newMessage", conversationId: C, seq, data } as ChatEvent;
  }

  it("do not make the conversation unread, but a mention of me in one counts", () => {
    const l = ledgerAt(10, 10, 0);
    l.apply(C, countedChange(reply(11), ME));
    expect(shown(l)).toEqual({ unread: 0, mentions: 0 });
    l.apply(C, countedChange(reply(12, "carol", [ME]), ME));
    expect(shown(l)).toEqual({ unread: 0, mentions: 1 });
    // The same frame again (catch-up overlapping live frames) counts once.
    l.apply(C, countedChange(reply(12, "carol", [ME]), ME));
    expect(shown(l)).toEqual({ unread: 0, mentions: 1 });
  });

  it("a mention in one stays when the conversation is read (its thread read clears it, on the server)", () => {
    const l = ledgerAt(10, 10, 0);
    l.apply(C, countedChange(reply(11, "carol", [ME]), ME));
    l.read(C, 10);
    expect(shown(l)).toEqual({ unread: 0, mentions: 1 });
    // A base with mentions, read through its end: cleared here, and the server is asked which remain.
    const withMentions = ledgerAt(12, 10, 2, 1);
    expect(withMentions.read(C, 12)).toMatchObject({ unreadCount: 0, mentionCount: 0, uncertain: true });
  });

  it("also sent to the channel counts like a message; my own thread-only reply reads nothing", () => {
    const l = ledgerAt(10, 8, 2);
    l.apply(C, countedChange(reply(11, "bob", [], true), ME));
    expect(shown(l)).toEqual({ unread: 3, mentions: 0 });
    l.apply(C, countedChange(reply(12, ME), ME));
    expect(shown(l)).toEqual({ unread: 3, mentions: 0 });
  });
});

describe("reading below the last seq", () => {
  it("is certain when nothing was counted (the changes after it were thread replies)", () => {
    const l = ledgerAt(12, 10, 0);
    expect(l.read(C, 11)).toMatchObject({ unreadCount: 0, mentionCount: 0, uncertain: false });
    const counted = ledgerAt(12, 8, 2);
    expect(counted.read(C, 11)?.uncertain).toBe(true);
  });
});

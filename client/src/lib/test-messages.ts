// Test fixtures shared by the client's unit tests (not imported by the app).

import type { Message } from "./types";

export const TEST_CONVERSATION = "C01JTESTCONVERSATION000000";

/** A sent message of TEST_CONVERSATION with the given seq, by bob unless overridden. */
export function testMessage(seq: number, over: Partial<Message> = {}): Message {
  return {
    id: `01JMSG${String(seq).padStart(20, "0")}`,
    conversationId: TEST_CONVERSATION,
    seq,
    updatedSeq: seq,
    authorId: "bob",
    body: `message ${seq}`,
    mentions: [],
    attachments: [],
    clientMessageId: `cm-${seq}`,
    createdAt: new Date(seq * 1000).toISOString(),
    ...over,
  };
}

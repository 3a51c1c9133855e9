// Test fixtures shared by the client's unit tests (not imported by the app).

import { afterEach, beforeEach, vi } from "vitest";

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

/** Controller tests run without a browser: a visible page without focus (as in headless browsers,
 * or a window beside another app) and window listeners that go nowhere; `fakeTimers` for tests
 * that drive time. Call inside a `describe`. */
export function stubPage({ fakeTimers = false }: { fakeTimers?: boolean } = {}): void {
  beforeEach(() => {
    if (fakeTimers) vi.useFakeTimers();
    vi.stubGlobal("document", { hasFocus: () => false, visibilityState: "visible" });
    vi.stubGlobal("window", { addEventListener: () => {}, removeEventListener: () => {} });
  });
  afterEach(() => {
    if (fakeTimers) vi.useRealTimers();
    vi.unstubAllGlobals();
  });
}

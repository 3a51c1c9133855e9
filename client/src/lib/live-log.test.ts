import { describe, expect, it } from "vitest";

import { announcement, lastMessageId, liveArrivals, MAX_ANNOUNCED } from "./live-log";
import type { UiMessage } from "./store/messages";
import { testMessage } from "./test-messages";

const sent = (seq: number, over: Partial<UiMessage> = {}): UiMessage => ({ ...testMessage(seq), state: "sent", ...over });
const names = (id: string) => ({ bob: "Bob Brown", carol: "Carol Chen" })[id] ?? id;

describe("liveArrivals", () => {
  const before = [sent(1), sent(2)];

  it("returns other people's messages that arrived after the previous last one", () => {
    const after = [...before, sent(3), sent(4, { authorId: "carol" })];
    expect(liveArrivals(after, lastMessageId(before), "alice", false).map((m) => m.seq)).toEqual([3, 4]);
  });

  it("says nothing when the list just opened", () => {
    expect(liveArrivals(before, null, "alice", false)).toEqual([]);
  });

  it("says nothing about an older page loading above", () => {
    const older = [sent(-1), sent(0), ...before];
    expect(liveArrivals(older, lastMessageId(before), "alice", false)).toEqual([]);
  });

  it("says nothing about a newer page of history loading below (after a search jump)", () => {
    expect(liveArrivals([...before, sent(3)], lastMessageId(before), "alice", true)).toEqual([]);
  });

  it("leaves out my own messages, pending ones and deleted ones", () => {
    const after = [...before, sent(3, { authorId: "alice" }), { ...sent(4), state: "pending" as const }, sent(5, { deletedAt: new Date(5000).toISOString() }), sent(6)];
    expect(liveArrivals(after, lastMessageId(before), "alice", false).map((m) => m.seq)).toEqual([6]);
  });

  it("follows a pending last message by its client id once it is confirmed", () => {
    const pending: UiMessage = { ...sent(3, { authorId: "alice" }), state: "pending" };
    const confirmed = [...before, sent(3, { authorId: "alice" }), sent(4)];
    expect(liveArrivals(confirmed, lastMessageId([...before, pending]), "alice", false).map((m) => m.seq)).toEqual([4]);
  });
});

describe("announcement", () => {
  it("names the author and quotes the text on one line", () => {
    expect(announcement([sent(3, { body: "hello\n\nworld" })], names, "#general")).toBe("New message from Bob Brown: hello world");
  });

  it("mentions attachments", () => {
    const files = [{ id: "a", name: "a.png", size: 1, contentType: "image/png" }];
    expect(announcement([sent(3, { body: "look", attachments: files })], names, "#general")).toBe("New message from Bob Brown: look (1 attachment)");
  });

  it("counts a burst instead of reading it all", () => {
    const burst = Array.from({ length: MAX_ANNOUNCED + 1 }, (_, i) => sent(i + 3));
    expect(announcement(burst, names, "#general")).toBe(`${MAX_ANNOUNCED + 1} new messages in #general`);
  });

  it("cuts a long body", () => {
    const text = announcement([sent(3, { body: "x".repeat(500) })], names, "#general") ?? "";
    expect(text.length).toBeLessThan(260);
    expect(text.endsWith("…")).toBe(true);
  });

  it("is nothing when nothing arrived", () => {
    expect(announcement([], names, "#general")).toBeNull();
  });
});

import { describe, expect, it } from "vitest";

import { countAfter, firstUnreadId, nextFirstItemIndex, rowKey } from "./conversation-view";
import type { UiMessage } from "./store/messages";

function msg(id: string, authorId: string, state: UiMessage["state"] = "sent"): UiMessage {
  return { id, conversationId: "c", seq: 0, updatedSeq: 0, authorId, body: id, mentions: [], attachments: [], clientMessageId: `cm-${id}`, createdAt: "", state };
}

const list = [msg("1", "bob"), msg("2", "me"), msg("3", "bob"), msg("4", "carol"), msg("5", "me"), msg("p", "me", "pending")];

describe("firstUnreadId", () => {
  it("counts other people's sent messages back from the end", () => {
    expect(firstUnreadId(list, "me", 1)).toBe("4");
    expect(firstUnreadId(list, "me", 2)).toBe("3");
    expect(firstUnreadId(list, "me", 3)).toBe("1");
  });
  it("is null when nothing is unread or not enough is loaded", () => {
    expect(firstUnreadId(list, "me", 0)).toBeNull();
    expect(firstUnreadId(list, "me", 4)).toBeNull();
  });
});

describe("countAfter", () => {
  it("counts rows after the last one seen", () => {
    expect(countAfter(list, rowKey(list[3]!))).toBe(2);
    expect(countAfter(list, rowKey(list[5]!))).toBe(0);
    expect(countAfter(list, null)).toBe(0);
    expect(countAfter(list, "gone")).toBe(0);
  });
});

describe("nextFirstItemIndex", () => {
  it("drops by the rows prepended above the previous first", () => {
    expect(nextFirstItemIndex(null, list, 1000)).toBe(1000);
    expect(nextFirstItemIndex({ key: "3", index: 1000 }, list, 1000)).toBe(998);
    expect(nextFirstItemIndex({ key: "1", index: 998 }, list, 1000)).toBe(998);
    expect(nextFirstItemIndex({ key: "gone", index: 990 }, list, 1000)).toBe(990);
  });
});

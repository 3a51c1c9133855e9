import { describe, expect, it } from "vitest";

import { buildRows, countAfter, emptyConversationText, firstRowAnchor, firstUnreadId, lastEditable, layout, nextFirstItemIndex, rowKey, unreadFrom } from "./conversation-view";
import type { UiMessage } from "./store/messages";

function msg(id: string, authorId: string, state: UiMessage["state"] = "sent", createdAt = "2026-12-07T10:00:00.000Z"): UiMessage {
  return { id, conversationId: "c", seq: 0, updatedSeq: 0, authorId, body: id, mentions: [], attachments: [], clientMessageId: `cm-${id}`, createdAt, state };
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
  const rows = buildRows(list, false);
  it("drops by the rows prepended above the previous first message", () => {
    // Six rows, one per message.
    expect(nextFirstItemIndex(null, rows, 1000)).toBe(1000);
    expect(nextFirstItemIndex({ key: "3", index: 1000 }, rows, 1000)).toBe(998);
    expect(nextFirstItemIndex({ key: "1", index: 999 }, rows, 1000)).toBe(999);
    expect(nextFirstItemIndex({ key: "gone", index: 990 }, rows, 1000)).toBe(990);
  });
  it("keeps the view still when an older page loads above: the rows on screen do not change", () => {
    const page = [msg("3", "bob"), msg("4", "bob")];
    const before = buildRows(page, false);
    const anchor = firstRowAnchor(before, 1000);
    expect(anchor).toEqual({ key: "3", index: 1000 });
    const after = buildRows([msg("0", "bob", "sent", "2026-12-06T10:00:00.000Z"), msg("1", "bob"), msg("2", "bob"), ...page], true);
    const first = nextFirstItemIndex(anchor, after, 1000);
    // Message 3 keeps its absolute index: Virtuoso sees rows added above, not a shift.
    expect(first + after.findIndex((r) => r.key === "3")).toBe(1000);
    // The separators ride on the rows added above; rows 3 and 4 are as they were.
    expect(layout(after)).toEqual(["day-2026-12-06", "0", "day-2026-12-07", "1", "2", "3", "4"]);
    expect(after.slice(3)).toEqual(before);
  });
});

describe("buildRows", () => {
  const at = (id: string, createdAt: string) => msg(id, "bob", "sent", createdAt);
  it("puts a separator between the days in the reader's time zone", () => {
    const messages = [at("a", "2026-12-06T22:30:00.000Z"), at("b", "2026-12-06T23:30:00.000Z"), at("c", "2026-12-07T08:00:00.000Z")];
    const kinds = (tz: string) => layout(buildRows(messages, true, tz));
    // In UTC, a and b are on the 6th; in Berlin (UTC+1) b is already the 7th.
    expect(kinds("UTC")).toEqual(["day-2026-12-06", "a", "b", "day-2026-12-07", "c"]);
    expect(kinds("Europe/Berlin")).toEqual(["day-2026-12-06", "a", "day-2026-12-07", "b", "c"]);
    // In Los Angeles (UTC-8) c, at 08:00Z, is just past midnight on the 7th.
    expect(kinds("America/Los_Angeles")).toEqual(["day-2026-12-06", "a", "b", "day-2026-12-07", "c"]);
    expect(kinds("Pacific/Auckland")).toEqual(["day-2026-12-07", "a", "b", "c"]);
  });
  it("groups by calendar day across a DST change (a 23-hour and a 25-hour day)", () => {
    // Berlin: clocks go forward 2026-03-29 02:00 -> 03:00 and back 2026-10-25 03:00 -> 02:00.
    const spring = [at("s1", "2026-03-28T22:59:00.000Z"), at("s2", "2026-03-28T23:00:00.000Z"), at("s3", "2026-03-29T21:59:00.000Z"), at("s4", "2026-03-29T22:00:00.000Z")];
    expect(layout(buildRows(spring, true, "Europe/Berlin"))).toEqual(["day-2026-03-28", "s1", "day-2026-03-29", "s2", "s3", "day-2026-03-30", "s4"]);
    const autumn = [at("f1", "2026-10-24T21:59:00.000Z"), at("f2", "2026-10-24T22:00:00.000Z"), at("f3", "2026-10-25T22:59:00.000Z"), at("f4", "2026-10-25T23:00:00.000Z")];
    expect(layout(buildRows(autumn, true, "Europe/Berlin"))).toEqual(["day-2026-10-24", "f1", "day-2026-10-25", "f2", "f3", "day-2026-10-26", "f4"]);
  });
  it("skips a separator for a message without a valid time and never repeats a day", () => {
    const rows = buildRows([at("a", "2026-12-07T08:00:00.000Z"), at("b", ""), at("c", "2026-12-07T09:00:00.000Z")], true, "UTC");
    expect(layout(rows)).toEqual(["day-2026-12-07", "a", "b", "c"]);
  });
  it("names the first day above the first message only at the beginning of the conversation", () => {
    const messages = [at("a", "2026-12-06T08:00:00.000Z"), at("b", "2026-12-07T08:00:00.000Z")];
    expect(layout(buildRows(messages, false, "UTC"))).toEqual(["a", "day-2026-12-07", "b"]);
    expect(layout(buildRows(messages, true, "UTC"))).toEqual(["day-2026-12-06", "a", "day-2026-12-07", "b"]);
  });
});

describe("lastEditable and unreadFrom", () => {
  it("finds my newest sent, not deleted message", () => {
    const deleted = { ...msg("6", "me"), deletedAt: "2026-12-07T11:00:00.000Z" };
    expect(lastEditable([...list, deleted], "me")?.id).toBe("5");
    expect(lastEditable([msg("1", "bob")], "me")).toBeNull();
  });
  it("counts other people's messages from the divider on", () => {
    expect(unreadFrom(list, "3", "me")).toBe(2);
    expect(unreadFrom(list, "gone", "me")).toBe(0);
  });
});

describe("emptyConversationText", () => {
  it("invites to Members only where there are Members to invite from, and to nothing where nobody may post", () => {
    expect(emptyConversationText("public", "#quiet", false)).toEqual({
      heading: "This is the very beginning of #quiet",
      hint: "No messages yet. Say hello below, share a file by dropping it here, or invite people from Members.",
    });
    expect(emptyConversationText("dm", "Bob Brown", false).heading).toBe("This is the very beginning of your conversation with Bob Brown");
    expect(emptyConversationText("dm", "Bob Brown", false).hint).not.toContain("Members");
    expect(emptyConversationText("private", "#old", true).hint).toContain("archived: nothing can be posted");
  });
});

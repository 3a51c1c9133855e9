import { describe, expect, it } from "vitest";

import { insertMention, mentionedIds, mentionQueryAt, segments } from "./mentions";

const bob = { id: "bob", handle: "bob", displayName: "Bob Brown" };
const zoe = { id: "zoe", handle: "zoe.a", displayName: "Zoë Ångström" };

describe("mentions", () => {
  it("finds the @query before the caret", () => {
    expect(mentionQueryAt("hi @bo", 6)).toEqual({ start: 3, query: "bo" });
    expect(mentionQueryAt("@", 1)).toEqual({ start: 0, query: "" });
    expect(mentionQueryAt("mail a@b", 8)).toBeNull();
    expect(mentionQueryAt("hi @Å", 5)).toEqual({ start: 3, query: "Å" });
  });
  it("inserts the handle and moves the caret past it", () => {
    expect(insertMention("hi @bo and", 3, 6, "bob")).toEqual({ text: "hi @bob  and", caret: 8 });
  });
  it("keeps only mentions still present in the text", () => {
    expect(mentionedIds("hey @bob and @zoe.a!", [bob, zoe])).toEqual(["bob", "zoe"]);
    expect(mentionedIds("hey @bobby", [bob])).toEqual([]);
    expect(mentionedIds("hey", [bob])).toEqual([]);
  });
  it("renders chips only for mentioned users", () => {
    expect(segments("hi @bob, and @carol", [bob])).toEqual([
      { kind: "text", text: "hi " },
      { kind: "mention", text: "@bob", userId: "bob" },
      { kind: "text", text: ", and @carol" },
    ]);
    expect(segments("no mentions", [])).toEqual([{ kind: "text", text: "no mentions" }]);
  });
});

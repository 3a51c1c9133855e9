import { describe, expect, it } from "vitest";

import { conversationChoices, normalizeQuery, personChoices, rankChoices } from "./switcher";
import type { ConversationSummary, UserProfile } from "./types";

const person = (id: string, displayName: string, handle = id): UserProfile => ({ id, displayName, handle });
const ME = person("me", "Me Myself", "me");
const BOB = person("bob", "Bob Builder", "bobby");
const CAROL = person("carol", "Carol Danvers", "carol");
const DAVE = person("dave", "Dave Lister", "dave");

function conversation(id: string, patch: Partial<ConversationSummary> = {}): ConversationSummary {
  return { id, kind: "public", name: id, lastSeq: 0, readSeq: 0, mentionCount: 0, unreadCount: 0, role: "member", ...patch } as ConversationSummary;
}

const CONVERSATIONS = [
  conversation("general"),
  conversation("random", { unreadCount: 3 }),
  conversation("design-reviews", { kind: "private" }),
  conversation("dm-bob", { kind: "dm", members: [ME, BOB] }),
  conversation("dm-group", { kind: "dm", members: [ME, CAROL, DAVE], unreadCount: 1, mentionCount: 1 }),
  conversation("budget"),
];

const titles = (query: string, people: UserProfile[] = [], active: string | null = null) =>
  rankChoices([...conversationChoices(CONVERSATIONS, "me"), ...personChoices(people, CONVERSATIONS, "me")], query, active).map((c) => `${c.kind === "person" ? "+" : ""}${c.title}`);

describe("quick switcher ranking", () => {
  it("with nothing typed: my conversations, mentions then unread first, the open one last", () => {
    expect(titles("", [], "general")).toEqual(["Carol Danvers, Dave Lister", "#random", "#design-reviews", "Bob Builder", "#budget", "#general"]);
  });

  it("matches names and handles by prefix first, then a word's prefix, then anywhere", () => {
    expect(titles("b")).toEqual(["Bob Builder", "#budget"]);
    expect(titles("bobby")).toEqual(["Bob Builder"]);
    expect(titles("rev")).toEqual(["#design-reviews"]);
    expect(titles("esig")).toEqual(["#design-reviews"]);
    expect(titles("lister")).toEqual(["Carol Danvers, Dave Lister"]);
  });

  it("ignores case and a leading # or @", () => {
    expect(titles("#RAN")).toEqual(["#random"]);
    expect(titles("@carol")).toEqual(["Carol Danvers, Dave Lister"]);
    expect(normalizeQuery("  @@Bob ")).toBe("bob");
  });

  it("an exact name beats a prefix, and unread breaks ties", () => {
    const many = [conversation("dev"), conversation("devops", { unreadCount: 2 }), conversation("develop")];
    expect(rankChoices(conversationChoices(many, "me"), "dev").map((c) => c.title)).toEqual(["#dev", "#devops", "#develop"]);
  });

  it("offers people of the tenant without a DM with me, after conversations that match as well", () => {
    const erin = person("erin", "Erin Bobson", "erin");
    // Bob has a DM with me already (it is the choice); I am never offered.
    expect(titles("bob", [BOB, erin, ME])).toEqual(["Bob Builder", "+Erin Bobson"]);
    // Carol is only in a group DM: she is offered for a DM of her own (after the group, whose
    // mention of me is unread).
    expect(titles("carol", [CAROL])).toEqual(["Carol Danvers, Dave Lister", "+Carol Danvers"]);
    expect(titles("dav", [DAVE, person("davina", "Davina Bobson")])).toEqual(["Carol Danvers, Dave Lister", "+Dave Lister", "+Davina Bobson"]);
  });

  it("says nothing matches with an empty list", () => {
    expect(titles("zzz")).toEqual([]);
  });
});

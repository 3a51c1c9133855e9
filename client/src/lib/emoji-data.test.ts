import { describe, expect, it } from "vitest";

import { inTone, loadEmojiCatalogue, searchEmoji } from "./emoji-data";

describe("emoji catalogue", () => {
  it("finds emoji by name first, then by keyword, and names every emoji with its skin tones", async () => {
    const { entries, names, groups } = await loadEmojiCatalogue();
    expect(searchEmoji(entries, "thumbs up")[0]?.name).toBe("thumbs up");
    expect(searchEmoji(entries, "party")[0]?.name).toBe("partying face");
    expect(searchEmoji(entries, "party")[1]?.name).toBe("party popper");
    expect(searchEmoji(entries, "thumb UP").map((e) => e.name)).toContain("thumbs up");
    // A keyword alone finds it too ("+1" is a CLDR keyword of 👍), after the name matches.
    expect(searchEmoji(entries, "+1").map((e) => e.name)).toContain("thumbs up");
    expect(searchEmoji(entries, "zzzzqq")).toEqual([]);
    expect(names.get("👍")).toBe("thumbs up");
    expect(names.get("👍🏽")).toBe("thumbs up: medium skin tone");
    expect(names.get("❤")).toBe("red heart");
    // Components (skin tone swatches) are not offered; every offered emoji is in a named group.
    expect(entries.some((e) => e.name.includes("skin tone"))).toBe(false);
    expect(entries.every((e) => groups.some((g) => g.id === e.group))).toBe(true);
  });

  it("offers each emoji with skin tones in the five tones, light to dark, and others as they are", async () => {
    const { entries, names } = await loadEmojiCatalogue();
    const thumbs = entries.find((e) => e.name === "thumbs up");
    expect(thumbs && inTone(thumbs, 0)).toBe(thumbs?.emoji);
    expect(thumbs && names.get(inTone(thumbs, 1))).toBe("thumbs up: light skin tone");
    expect(thumbs && names.get(inTone(thumbs, 5))).toBe("thumbs up: dark skin tone");
    const party = entries.find((e) => e.name === "party popper");
    expect(party && inTone(party, 3)).toBe(party?.emoji);
  });
});

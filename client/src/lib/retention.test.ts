import { describe, expect, it } from "vitest";

import { parseRetentionDays } from "./retention";

describe("parseRetentionDays", () => {
  it("empty is no limit", () => {
    expect(parseRetentionDays("  ")).toEqual({ days: null });
  });
  it("takes whole days from 1 to 36,500", () => {
    expect(parseRetentionDays("1")).toEqual({ days: 1 });
    expect(parseRetentionDays(" 30 ")).toEqual({ days: 30 });
    expect(parseRetentionDays("36500")).toEqual({ days: 36_500 });
  });
  it("refuses 0, negatives, fractions, too many and words with a message", () => {
    for (const bad of ["0", "-3", "1.5", "36501", "ten", "1e9"]) {
      const r = parseRetentionDays(bad);
      expect("error" in r && r.error).toMatch(/whole number of days from 1 to 36,500/);
    }
  });
});

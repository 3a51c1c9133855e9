import { describe, expect, it } from "vitest";

import { dayKey, dayLabel } from "./days";

describe("dayKey", () => {
  it("is the calendar day in the given time zone", () => {
    expect(dayKey("2026-12-07T23:30:00.000Z", "UTC")).toBe("2026-12-07");
    expect(dayKey("2026-12-07T23:30:00.000Z", "Asia/Tokyo")).toBe("2026-12-08");
    expect(dayKey("2026-12-07T03:30:00.000Z", "America/New_York")).toBe("2026-12-06");
    expect(dayKey("not a date")).toBeNull();
  });
});

describe("dayLabel", () => {
  const now = new Date("2026-12-07T10:00:00.000Z");
  it("says Today and Yesterday, then the weekday and date, with the year only when not this year", () => {
    expect(dayLabel("2026-12-07", now, "UTC", "en-US")).toBe("Today");
    expect(dayLabel("2026-12-06", now, "UTC", "en-US")).toBe("Yesterday");
    expect(dayLabel("2026-12-05", now, "UTC", "en-US")).toBe("Saturday, December 5");
    expect(dayLabel("2025-12-07", now, "UTC", "en-US")).toBe("Sunday, December 7, 2025");
  });
  it("counts today in the reader's zone", () => {
    // 10:00Z is already the 8th in Kiritimati (UTC+14): the 7th is yesterday there.
    expect(dayLabel("2026-12-07", now, "Pacific/Kiritimati", "en-US")).toBe("Yesterday");
  });
  it("counts calendar days across a DST change", () => {
    // The morning after Berlin's spring-forward night (a 23-hour day before it).
    const after = new Date("2026-03-30T05:00:00.000Z");
    expect(dayLabel("2026-03-29", after, "Europe/Berlin", "en-US")).toBe("Yesterday");
    expect(dayLabel("2026-03-28", after, "Europe/Berlin", "en-US")).toBe("Saturday, March 28");
    const autumn = new Date("2026-10-26T00:30:00.000Z"); // 01:30 CET on the 26th, after a 25-hour day
    expect(dayLabel("2026-10-25", autumn, "Europe/Berlin", "en-US")).toBe("Yesterday");
  });
});

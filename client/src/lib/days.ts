// Calendar days in the reader's time zone, for the message list's date separators
// ("Today", "Yesterday", "Monday, December 7", with the year when it is not this year).

/** `YYYY-MM-DD` of the instant in `timeZone` (the browser's by default); null for a bad date. */
export function dayKey(iso: string | number | Date, timeZone?: string): string | null {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return null;
  // en-CA formats dates as YYYY-MM-DD; the calendar fields are what matter, not the locale.
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(d);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** Days between two day keys, by the calendar (a DST change makes no day 23 or 25 hours). */
function daysBetween(from: string, to: string): number {
  const utc = (key: string) => {
    const [y, m, d] = key.split("-").map(Number);
    return Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1);
  };
  return Math.round((utc(to) - utc(from)) / 86_400_000);
}

/** A message's time of day ("10:32"), in the reader's zone and locale. */
export function timeOfDay(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** How a separator names `day` (a day key) when it is `now`. */
export function dayLabel(day: string, now: Date = new Date(), timeZone?: string, locale?: string): string {
  const today = dayKey(now, timeZone);
  if (today) {
    const ago = daysBetween(day, today);
    if (ago === 0) return "Today";
    if (ago === 1) return "Yesterday";
  }
  const [y, m, d] = day.split("-").map(Number);
  // Noon UTC of that date, formatted in UTC: the same calendar date whatever the zone.
  const date = new Date(Date.UTC(y ?? 0, (m ?? 1) - 1, d ?? 1, 12));
  const sameYear = today?.slice(0, 4) === day.slice(0, 4);
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", weekday: "long", month: "long", day: "numeric", ...(sameYear ? {} : { year: "numeric" }) }).format(date);
}

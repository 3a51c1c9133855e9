// The retention form's rule, checked before the server is asked (it answers a raw 400 otherwise).

/** The server keeps between 1 and this many days (shared/src/app/retention.rs `MAX_RETENTION_DAYS`). */
export const MAX_RETENTION_DAYS = 36_500;

/** Empty means "no limit" (forever, or the default); otherwise a whole number of days in range.
 * `kept` names what the days apply to, for the error. */
export function parseRetentionDays(text: string, kept = "messages"): { days: number | null } | { error: string } {
  const t = text.trim();
  if (!t) return { days: null };
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1 || n > MAX_RETENTION_DAYS) {
    return { error: `Enter a whole number of days from 1 to ${MAX_RETENTION_DAYS.toLocaleString("en")}, or leave it empty to keep ${kept} forever.` };
  }
  return { days: n };
}

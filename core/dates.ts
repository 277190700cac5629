/**
 * A day written YYYY-MM-DD that exists on the calendar. `Date.parse` alone is not enough:
 * V8 reads 2026-02-30 as 2 March, so a mistyped day would run on another day's data.
 */
export function isCalendarDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const time = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(time) && new Date(time).toISOString().slice(0, 10) === text;
}

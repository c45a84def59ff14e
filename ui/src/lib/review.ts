// The Review view's periods: presets ("last 7 days") and custom date ranges, turned into the
// instants the shell reports on (it counts days and hours in the computer's local time).
import type { ReviewPeriod } from "./backend";

export type PeriodPreset = 7 | 30 | 90;
export const PERIOD_PRESETS: PeriodPreset[] = [7, 30, 90];

/**
 * The last `days` calendar days, today included, up to `now`: "7 days" is 7 bars, from local
 * midnight six days ago (a rolling 7 × 24 h would touch 8 calendar days).
 */
export function presetPeriod(days: number, now = new Date()): ReviewPeriod {
  const since = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (days - 1));
  return { since: since.toISOString(), until: now.toISOString() };
}

const pad = (n: number) => String(n).padStart(2, "0");

/** "2026-11-25" for a date input, in local time. */
export function dateInputValue(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function parseDateInput(value: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** From the start of `from` to the end of `to` (local days); an error for people otherwise. */
export function customPeriod(from: string, to: string, now = new Date()): ReviewPeriod | string {
  const start = parseDateInput(from);
  const end = parseDateInput(to);
  if (!start || !end) return "Pick a start and an end date.";
  if (start > end) return "The period starts after it ends: pick a start date before the end date.";
  const until = new Date(end);
  until.setHours(23, 59, 59, 999);
  return { since: start.toISOString(), until: (until > now ? now : until).toISOString() };
}

/** "23%". */
export function formatShare(share: number): string {
  return `${Math.round(share * 100)}%`;
}

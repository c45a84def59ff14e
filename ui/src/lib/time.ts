// Time formatting for the desk. Everything the service sends is an RFC 3339 UTC string; the
// agent sees local wall-clock time.

const pad = (n: number) => String(n).padStart(2, "0");

export function toDate(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  // JavaScriptCore is picky about more than three fractional digits.
  const d = new Date(iso.replace(/(\.\d{3})\d+/, "$1"));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "14:05" in local time, or "" when the time is missing or invalid. */
export function formatClock(iso: string | null | undefined): string {
  const d = toDate(iso);
  return d ? `${pad(d.getHours())}:${pad(d.getMinutes())}` : "";
}

const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "medium" });
const shortDayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: "long", day: "numeric", month: "long" });
const dayYearFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "long",
  day: "numeric",
  month: "long",
  year: "numeric",
});

/** The full local date and time, for tooltips. */
export function formatFull(iso: string | null | undefined): string {
  const d = toDate(iso);
  return d ? fullFormat.format(d) : "";
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "14:05" today, "Yesterday", else "24 Nov". */
export function formatStamp(iso: string | null | undefined, now = new Date()): string {
  const d = toDate(iso);
  if (!d) return "";
  if (sameDay(d, now)) return formatClock(iso);
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(d, yesterday)) return "Yesterday";
  return shortDayFormat.format(d);
}

/** A key identifying the local calendar day of a time ("2025-11-24"). */
export function dayKey(iso: string): string {
  const d = toDate(iso);
  return d ? `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` : "";
}

/** "Today", "Yesterday", "Monday 24 November" (with the year when it is not this year). */
export function formatDay(iso: string, now = new Date()): string {
  const d = toDate(iso);
  if (!d) return "";
  if (sameDay(d, now)) return "Today";
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(d, yesterday)) return "Yesterday";
  return d.getFullYear() === now.getFullYear() ? dayFormat.format(d) : dayYearFormat.format(d);
}

/** Whole seconds from `iso` to `nowMs` (never negative), or null. */
export function secondsSince(iso: string | null | undefined, nowMs: number): number | null {
  const d = toDate(iso);
  if (!d) return null;
  return Math.max(0, Math.floor((nowMs - d.getTime()) / 1000));
}

/** A waiting time: "42s", "3m 05s", "1h 12m", "2d 3h". */
export function formatWait(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86_400)}d ${Math.floor((s % 86_400) / 3600)}h`;
}

/** How late a wait is against the team's thresholds (by default amber from 2 minutes, red from 5). */
export type WaitLevel = "calm" | "warn" | "late";
export function waitLevel(
  seconds: number,
  thresholds: { warn_minutes: number; urgent_minutes: number } = { warn_minutes: 2, urgent_minutes: 5 },
): WaitLevel {
  if (seconds >= thresholds.urgent_minutes * 60) return "late";
  if (seconds >= thresholds.warn_minutes * 60) return "warn";
  return "calm";
}

/** An estimate for people: "~3 min", "under a minute", "~1 h 10 min". */
export function formatEstimate(seconds: number | null | undefined): string | null {
  if (seconds === null || seconds === undefined) return null;
  if (seconds < 60) return "under a minute";
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `~${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `~${h} h ${m} min` : `~${h} h`;
}

/** "22:00" → valid wall-clock time in HH:MM (24 h). */
export function isClockValue(value: string): boolean {
  return /^([01]\d|2[0-3]):[0-5]\d$/.test(value.trim());
}

/** Accepts "9:30", "0930", "21.15" and normalises to "09:30"; null when it is not a time. */
export function normaliseClock(value: string): string | null {
  const v = value.trim();
  const m = /^(\d{1,2})[:.h]?(\d{2})$/.exec(v);
  if (!m) return null;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if (h > 23 || min > 59) return null;
  return `${pad(h)}:${pad(min)}`;
}

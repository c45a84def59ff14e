// Human words for the service's enums.
import type { ConversationStatus, HandoffReason, Presence, Priority, QueueTab, Role } from "./backend";

export const REASON_LABELS: Record<HandoffReason, string> = {
  sentiment: "Frustrated",
  explicit_request: "Asked for human",
  workflow: "Workflow",
  vip: "VIP",
  other: "Other",
};

export function reasonLabel(reason: HandoffReason | null | undefined): string {
  return reason ? (REASON_LABELS[reason] ?? "Other") : "Other";
}

export const PRIORITY_LABELS: Record<Priority, string> = {
  urgent: "Urgent",
  high: "High",
  normal: "Normal",
  low: "Low",
};

export const STATUS_LABELS: Record<ConversationStatus, string> = {
  bot: "With the bot",
  waiting: "Waiting",
  assigned: "Assigned",
  resolved: "Resolved",
};

export const ROLE_LABELS: Record<Role, string> = {
  customer: "Customer",
  bot: "Bot",
  agent: "Agent",
  system: "System",
};

export const PRESENCE_LABELS: Record<Presence, string> = {
  available: "Available",
  away: "Away",
  offline: "Offline",
};

export const TAB_LABELS: Record<QueueTab, string> = {
  waiting: "Waiting",
  mine: "Mine",
  recent: "Recent",
  snoozed: "Snoozed",
};

/** "web" → "Web", "whatsapp" → "WhatsApp". */
export function channelLabel(channel: string): string {
  const known: Record<string, string> = {
    web: "Web chat",
    whatsapp: "WhatsApp",
    email: "Email",
    sms: "SMS",
    messenger: "Messenger",
    app: "In-app",
    voice: "Voice",
  };
  const key = channel.trim().toLowerCase();
  if (known[key]) return known[key];
  return key ? key[0].toUpperCase() + key.slice(1) : "Unknown channel";
}

/**
 * Money the way the bots and the team write it: "$64,000". One formatter for the whole app, with
 * grouping done here rather than by Intl, whose output depends on the system locale (a POSIX
 * locale gives "$ 64000").
 */
export function formatMoney(value: number | null | undefined): string | null {
  if (value === null || value === undefined || !Number.isFinite(value)) return null;
  const whole = Math.round(Math.abs(value));
  const grouped = String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return `${value < 0 ? "−" : ""}$${grouped}`;
}

export function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** "Ana Lima" → "AL", "Priya" → "P": for small round badges of a person. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return letters.map((w) => [...w][0]?.toUpperCase() ?? "").join("") || "?";
}

// Short messages in the corner: errors stay until dismissed or replaced, notes fade.
import { describeError } from "./errors";

export interface Toast {
  id: number;
  kind: "error" | "info";
  text: string;
  /** An error that only said the service was out of reach: it goes when the connection is back. */
  offline?: boolean;
}

export const toasts = $state<{ items: Toast[] }>({ items: [] });

let nextId = 1;
const MAX = 4;

export function dismissToast(id: number): void {
  toasts.items = toasts.items.filter((t) => t.id !== id);
}

function push(kind: Toast["kind"], text: string, ms: number, offline = false): void {
  // The same message twice in a row stays one toast.
  const existing = toasts.items.find((t) => t.text === text && t.kind === kind);
  if (existing) dismissToast(existing.id);
  const toast = { id: nextId++, kind, text, offline };
  toasts.items = [...toasts.items, toast].slice(-MAX);
  setTimeout(() => dismissToast(toast.id), ms);
}

function isOffline(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { kind?: unknown }).kind === "offline";
}

export function showError(error: unknown, action?: string): void {
  push("error", typeof error === "string" ? error : describeError(error, action), 10_000, isOffline(error));
}

/** Back online: "you're offline" errors are no longer true. */
export function dismissOfflineToasts(): void {
  if (toasts.items.some((t) => t.offline)) toasts.items = toasts.items.filter((t) => !t.offline);
}

export function showInfo(text: string): void {
  push("info", text, 4_000);
}

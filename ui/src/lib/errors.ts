// Turns any failure into one sentence for the agent.
import { BackendError } from "./backend";

function sentence(text: string): string {
  const t = text.trim();
  if (!t) return "Something went wrong.";
  const capital = t[0].toUpperCase() + t.slice(1);
  return /[.!?…]$/.test(capital) ? capital : `${capital}.`;
}

/**
 * `action` is a gerund for the offline message: "claiming" → "You're offline — claiming needs
 * the service. Try again when you're back online."
 */
export function describeError(error: unknown, action?: string): string {
  if (error instanceof BackendError) {
    switch (error.kind) {
      case "offline":
        return `You're offline — ${action ?? "this"} needs the service. Try again when you're back online.`;
      case "already_claimed":
        return `${error.detail.assignee?.name ?? "Another agent"} claimed this first.`;
      case "signed_out":
        return "You're signed out or your token was refused. Sign in again in Settings.";
      case "not_found":
        return sentence(error.message || "That is no longer in the local cache");
      case "keychain":
        return `The system keychain could not be used: ${error.message}`;
      case "refused":
      case "invalid":
        return sentence(error.message);
      default:
        return error.message ? `Something went wrong: ${sentence(error.message)}` : "Something went wrong.";
    }
  }
  if (error instanceof Error) return `Something went wrong: ${sentence(error.message)}`;
  return sentence(String(error));
}

export function errorKind(error: unknown): string | null {
  return error instanceof BackendError ? error.kind : null;
}

// Conversations in windows of their own. A pop-out window loads the same app with
// `?conversation=ID`; the shell names its window `conversation-ID`, so opening it twice brings
// the first to the front, and its size and place are remembered per conversation.
import { backend } from "./backend";
import { showError } from "./toasts.svelte";

/** The conversation this window was opened for, or null in the main window. */
export function popOutId(): number | null {
  const value = new URLSearchParams(window.location.search).get("conversation");
  if (!value || !/^[1-9]\d{0,15}$/.test(value)) return null;
  const id = Number(value);
  return Number.isSafeInteger(id) ? id : null;
}

export async function popOut(id: number): Promise<void> {
  try {
    await backend.openConversationWindow(id);
  } catch (error) {
    showError(error, "opening the conversation in its own window");
  }
}

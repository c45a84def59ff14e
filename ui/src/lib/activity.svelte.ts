// Who else is in a conversation: colleagues viewing it or typing in it, from the service's
// ephemeral activity events (never stored). This window reports its own activity the same way.
import { backend, type ConversationActivity } from "./backend";

type ActivityEntry = Pick<ConversationActivity, "agent" | "activity" | "expires_at">;
import { clock } from "./clock.svelte";

/** Re-announce "viewing" this often while a conversation stays open (the service forgets after 30 s). */
const VIEWING_EVERY_MS = 15_000;
/** Typing is announced at most this often (the service forgets it after 8 s). */
const TYPING_EVERY_MS = 4_000;

class Activity {
  /** conversation id → agent id → what they do, until when. */
  #byConversation = $state<Record<number, Record<number, ActivityEntry>>>({});

  /** Colleagues active in `conversationId` now (not me), typing first. */
  others(conversationId: number, me: number | undefined): ActivityEntry[] {
    const now = clock.now;
    const entries = Object.values(this.#byConversation[conversationId] ?? {}).filter(
      (e) => e.agent.id !== me && e.activity !== "left" && new Date(e.expires_at).getTime() > now,
    );
    return entries.sort((a, b) => Number(b.activity !== "viewing") - Number(a.activity !== "viewing") || a.agent.name.localeCompare(b.agent.name));
  }

  apply(event: ConversationActivity): void {
    const current = { ...(this.#byConversation[event.conversation_id] ?? {}) };
    if (event.activity === "left") delete current[event.agent.id];
    else current[event.agent.id] = { agent: event.agent, activity: event.activity, expires_at: event.expires_at };
    this.#byConversation = { ...this.#byConversation, [event.conversation_id]: current };
  }

  async load(conversationId: number): Promise<void> {
    try {
      const entries = await backend.conversationActivity(conversationId);
      this.#byConversation = {
        ...this.#byConversation,
        [conversationId]: Object.fromEntries(entries.map((e) => [e.agent.id, e])),
      };
    } catch {
      // Offline or an older service: nobody shown, nothing else depends on it.
    }
  }

  /**
   * Announces that this window shows `conversationId` until the returned function is called
   * (which announces leaving). Best effort: failures are silent, presence is a courtesy.
   */
  view(conversationId: number): () => void {
    const report = () => void backend.reportActivity(conversationId, "viewing").catch(() => {});
    report();
    const timer = setInterval(() => document.visibilityState === "visible" && report(), VIEWING_EVERY_MS);
    let lastTyping = 0;
    this.#typing = (kind) => {
      const now = Date.now();
      if (now - lastTyping < TYPING_EVERY_MS) return;
      lastTyping = now;
      void backend.reportActivity(conversationId, kind === "note" ? "typing_note" : "typing_reply").catch(() => {});
    };
    return () => {
      clearInterval(timer);
      this.#typing = null;
      void backend.reportActivity(conversationId, "left").catch(() => {});
    };
  }

  #typing: ((kind: "reply" | "note") => void) | null = null;

  /** The composer calls this on input. */
  typing(kind: "reply" | "note"): void {
    this.#typing?.(kind);
  }
}

export const activity = new Activity();

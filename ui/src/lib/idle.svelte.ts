// Presence follows the keyboard: after the configured minutes without input, an available agent
// turns away by itself, and back to available on return — only if it was this that set away.
import { backend } from "./backend";
import { desk } from "./desk.svelte";

const CHECK_EVERY_MS = 15_000;
const ACTIVITY = ["keydown", "pointerdown", "pointermove", "wheel", "focus"] as const;

class IdleWatcher {
  awayAfterMinutes = $state(10);
  #lastActivity = Date.now();
  #autoAway = false;

  start(): () => void {
    backend
      .awayAfterMinutes()
      .then((m) => (this.awayAfterMinutes = m))
      .catch(() => {
        // Keep the default; presence still works by hand.
      });
    const onActivity = () => this.#activity();
    for (const name of ACTIVITY) window.addEventListener(name, onActivity, { passive: true, capture: true });
    const timer = window.setInterval(() => this.#check(), CHECK_EVERY_MS);
    return () => {
      for (const name of ACTIVITY) window.removeEventListener(name, onActivity, { capture: true });
      window.clearInterval(timer);
    };
  }

  #activity(): void {
    this.#lastActivity = Date.now();
    if (this.#autoAway && desk.myPresence === "away") {
      this.#autoAway = false;
      void desk.setPresence("available");
    }
  }

  #check(): void {
    const minutes = this.awayAfterMinutes;
    if (minutes <= 0 || desk.myPresence !== "available") return;
    if (Date.now() - this.#lastActivity >= minutes * 60_000) {
      this.#autoAway = true;
      void desk.setPresence("away");
    }
  }

  async save(minutes: number): Promise<void> {
    await backend.setAwayAfterMinutes(minutes);
    this.awayAfterMinutes = minutes;
  }
}

export const idle = new IdleWatcher();

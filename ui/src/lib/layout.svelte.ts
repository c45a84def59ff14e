// Window-layout choices the agent makes once and keeps: the details drawer open or closed.

const DETAILS_KEY = "handoff-desk.details-open";

function stored(key: string, fallback: boolean): boolean {
  try {
    const value = localStorage.getItem(key);
    return value === null ? fallback : value === "1";
  } catch {
    return fallback;
  }
}

class Layout {
  #detailsOpen = $state(stored(DETAILS_KEY, false));

  get detailsOpen(): boolean {
    return this.#detailsOpen;
  }

  set detailsOpen(open: boolean) {
    this.#detailsOpen = open;
    try {
      localStorage.setItem(DETAILS_KEY, open ? "1" : "0");
    } catch {
      // A webview without storage forgets the choice; nothing else depends on it.
    }
  }

  toggleDetails(): void {
    this.detailsOpen = !this.#detailsOpen;
  }
}

export const layout = new Layout();

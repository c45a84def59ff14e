// Which key sends a message: Ctrl+Enter (⌘ Enter) by default, so Enter writes a new line as in
// an email; or Enter, as in chat apps, with Shift+Enter for a new line. Ctrl+Enter always sends.

const KEY = "handoff-desk.enter-sends";

class SendKey {
  #enterSends = $state(read());

  get enterSends(): boolean {
    return this.#enterSends;
  }

  set enterSends(value: boolean) {
    this.#enterSends = value;
    try {
      localStorage.setItem(KEY, value ? "1" : "0");
    } catch {
      // Without storage the choice lasts for this window only.
    }
  }
}

function read(): boolean {
  try {
    return localStorage.getItem(KEY) === "1";
  } catch {
    return false;
  }
}

export const sendKey = new SendKey();

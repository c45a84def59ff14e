// Every keyboard shortcut of the desk, in one table: the "?" dialog lists it, App routes it.

export type ShortcutAction =
  | "claim"
  | "resolve"
  | "note"
  | "reply"
  | "transfer"
  | "snooze"
  | "details"
  | "next-waiting"
  | "next-unread"
  | "popout"
  | "search"
  | "help";

export interface Shortcut {
  keys: string[];
  label: string;
  action?: ShortcutAction;
}

/** Single keys, typed outside text fields. */
export const SINGLE_KEYS: Record<string, ShortcutAction> = {
  c: "claim",
  e: "resolve",
  n: "note",
  r: "reply",
  t: "transfer",
  z: "snooze",
  i: "details",
  w: "next-waiting",
  u: "next-unread",
  o: "popout",
  "/": "search",
  "?": "help",
};

export const SHORTCUT_GROUPS: { title: string; items: Shortcut[] }[] = [
  {
    title: "Queue",
    items: [
      { keys: ["J", "K"], label: "Next / previous conversation in the list" },
      { keys: ["Enter"], label: "Open the selected conversation" },
      { keys: ["Shift", "Enter"], label: "Open it in its own window (or middle click)" },
      { keys: ["W"], label: "Open the next waiting customer", action: "next-waiting" },
      { keys: ["U"], label: "Open the next conversation with unread messages", action: "next-unread" },
    ],
  },
  {
    title: "Conversation",
    items: [
      { keys: ["C"], label: "Claim", action: "claim" },
      { keys: ["R"], label: "Write a reply", action: "reply" },
      { keys: ["N"], label: "Write a private note", action: "note" },
      { keys: ["E"], label: "Resolve as solved", action: "resolve" },
      { keys: ["T"], label: "Transfer to a colleague", action: "transfer" },
      { keys: ["Z"], label: "Snooze until later", action: "snooze" },
      { keys: ["I"], label: "Show or hide the details", action: "details" },
      { keys: ["O"], label: "Open in its own window", action: "popout" },
      { keys: ["Esc"], label: "Leave the composer / close a dialog" },
    ],
  },
  {
    title: "Everywhere",
    items: [
      { keys: ["Ctrl", "K"], label: "Search every cached conversation (also /)", action: "search" },
      { keys: ["?"], label: "This list", action: "help" },
    ],
  },
];

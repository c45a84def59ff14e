// Splits untrusted message text into plain text and links. The output is rendered with text
// interpolation only; a link's href is always an http(s) or mailto URL taken verbatim from the
// text, so nothing the customer writes can become markup or a script URL.

export type Segment = { kind: "text"; text: string } | { kind: "link"; text: string; href: string };

// A URL runs until whitespace or a character that cannot appear unescaped in one.
const LINK = /\b(?:https?:\/\/|mailto:)[^\s<>"'`{}|\\^]+/gi;
const TRAILING = /[.,;:!?…'"”’»)\]}>]+$/;
const PAIRS: Record<string, string> = { ")": "(", "]": "[", "}": "{" };

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}

/** Drops punctuation that ends a sentence rather than the URL, keeping balanced brackets. */
function trimUrl(url: string): string {
  let result = url;
  for (;;) {
    const match = TRAILING.exec(result);
    if (!match) return result;
    const last = result[result.length - 1];
    const open = PAIRS[last];
    if (open && count(result, open) >= count(result, last)) return result;
    result = result.slice(0, -1);
  }
}

/** Whether a string is a link the desk may open. */
export function isOpenableUrl(url: string): boolean {
  if (/\s/.test(url)) return false;
  const lower = url.toLowerCase();
  if (lower.startsWith("mailto:")) return lower.length > "mailto:".length;
  return (lower.startsWith("https://") || lower.startsWith("http://")) && lower.length > lower.indexOf("//") + 2;
}

export function tokenize(text: string): Segment[] {
  const segments: Segment[] = [];
  let last = 0;
  LINK.lastIndex = 0;
  for (let match = LINK.exec(text); match; match = LINK.exec(text)) {
    const url = trimUrl(match[0]);
    if (!isOpenableUrl(url)) continue;
    const start = match.index;
    if (start > last) segments.push({ kind: "text", text: text.slice(last, start) });
    segments.push({ kind: "link", text: url, href: url });
    last = start + url.length;
    LINK.lastIndex = last;
  }
  if (last < text.length) segments.push({ kind: "text", text: text.slice(last) });
  return segments;
}

/** Whether the text has any link at all (cheap pre-check). */
export function hasLink(text: string): boolean {
  return /https?:\/\/|mailto:/i.test(text);
}

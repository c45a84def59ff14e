// Which message text may hold links. Deciding what becomes a link is the shell's job
// (handoff-core's `links`, through `backend.linkSegments`): this is only a cheap pre-check that
// spares a call for the many messages without any.

/** Whether the text may hold a link at all. */
export function hasLink(text: string): boolean {
  return /https?:\/\/|mailto:/i.test(text);
}

/**
 * Characters outside RFC 6749 §5.2's set for `error_description`
 * (%x20-21 / %x23-5B / %x5D-7E). With the `u` flag an emoji is one match,
 * so it becomes one replacement character rather than two.
 */
const OUTSIDE_RFC_6749 = /[^\x20\x21\x23-\x5B\x5D-\x7E]/u;
const EVERY_OUTSIDE_RFC_6749 = new RegExp(OUTSIDE_RFC_6749.source, 'gu');

/**
 * Makes a description fit for the wire. Descriptions may echo what a client
 * sent (a grant_type, a scope, an id), and clients that put the error into a
 * header or a log line rely on the RFC's set: a double quote becomes a
 * single one, anything else outside the set a `?`. Runs only on errors, and
 * a clean description (the usual case) is returned as it is.
 */
export function wireText(description: string): string {
  if (!OUTSIDE_RFC_6749.test(description)) return description;
  return description.replace(EVERY_OUTSIDE_RFC_6749, (c) => (c === '"' ? "'" : '?'));
}

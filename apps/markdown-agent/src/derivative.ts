/** What every derivative starts with. No timestamp: a rerun must produce the same bytes. */
export function withSourceHeader(sourceName: string, body: string): string {
  return `<!-- converted from ${commentSafe(sourceName)} by case-storage markdown-agent -->\n\n${body.trim()}\n`;
}

/** A Markdown title for a file name (names may hold newlines on Linux). */
export function titleFor(sourceName: string): string {
  return `# ${sourceName.replace(/[\r\n]+/g, ' ')}`;
}

// An HTML comment ends at `-->` and may not contain `--`; control characters would break
// the header line. Such names are rare, so they are just percent-encoded.
function commentSafe(name: string): string {
  return name.replace(/[\p{Cc}]|-(?=-)/gu, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

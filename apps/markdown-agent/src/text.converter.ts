import { titleFor } from './derivative';

/** Plain text kept as it is (nothing escaped), under a title naming the file. */
export function convertText(input: Uint8Array, sourceName: string): string {
  // UTF-8, BOM dropped; an invalid byte becomes U+FFFD instead of failing the file.
  const text = new TextDecoder().decode(input);
  return `${titleFor(sourceName)}\n\n${text.replace(/\r\n?/g, '\n').trimEnd()}\n`;
}

import { extname } from 'node:path';
import { convertDocx } from './docx.converter';
import { convertHtml } from './html.converter';
import { convertPdf } from './pdf.converter';
import { convertText } from './text.converter';

/** File bytes to the Markdown body of its derivative (the source header is added later). */
export type Converter = (input: Uint8Array, sourceName: string) => string | Promise<string>;

const byExtension: Readonly<Record<string, Converter>> = {
  '.pdf': convertPdf,
  '.docx': convertDocx,
  '.html': convertHtml,
  '.htm': convertHtml,
  '.txt': convertText,
};

/** The converter for a file name, by extension (any case); none for anything else, `.md` included. */
export function converterFor(name: string): Converter | undefined {
  const extension = extname(name).toLowerCase();
  return Object.hasOwn(byExtension, extension) ? byExtension[extension] : undefined;
}

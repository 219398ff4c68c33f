import mammoth from 'mammoth';
import { htmlToMarkdown } from './html.converter';

// Images would be inlined as base64 data URIs, megabytes of noise in a text derivative:
// an empty src makes turndown drop them.
const dropImages = mammoth.images.imgElement(async () => ({ src: '' }));

/** A Word document (DOCX) as Markdown: mammoth to semantic HTML, then turndown. */
export async function convertDocx(input: Uint8Array): Promise<string> {
  const { value: html } = await mammoth.convertToHtml({ buffer: Buffer.from(input.buffer, input.byteOffset, input.byteLength) }, { convertImage: dropImages, externalFileAccess: false });
  return `${htmlToMarkdown(html)}\n`;
}

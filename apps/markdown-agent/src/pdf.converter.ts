import type * as Pdfjs from 'pdfjs-dist';
import type { TextItem, TextMarkedContent } from 'pdfjs-dist/types/src/display/api';
import { titleFor } from './derivative';
import { importEsm } from './esm-import';

// The legacy build is the one meant for Node (the modern one expects browser globals).
const PDFJS = 'pdfjs-dist/legacy/build/pdf.mjs';

let pdfjs: Promise<typeof Pdfjs> | undefined;

function loadPdfjs(): Promise<typeof Pdfjs> {
  pdfjs ??= importEsm(PDFJS) as Promise<typeof Pdfjs>;
  return pdfjs;
}

function isTextItem(item: TextItem | TextMarkedContent): item is TextItem {
  return 'str' in item;
}

function pageText(items: readonly (TextItem | TextMarkedContent)[]): string {
  let text = '';
  for (const item of items) {
    if (!isTextItem(item)) continue;
    text += item.str;
    if (item.hasEOL) text += '\n';
  }
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The text layer of a PDF, a section per page. A scan without a text layer says so. */
export async function convertPdf(input: Uint8Array, sourceName: string): Promise<string> {
  const { getDocument, VerbosityLevel } = await loadPdfjs();
  const task = getDocument({
    // pdfjs takes ownership of (and may detach) the buffer it is given.
    data: new Uint8Array(input),
    verbosity: VerbosityLevel.ERRORS,
    // Text only: no font code evaluated, nothing fetched.
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: false,
  });
  try {
    const document = await task.promise;
    const sections = [titleFor(sourceName)];
    let anyText = false;
    for (let number = 1; number <= document.numPages; number++) {
      const page = await document.getPage(number);
      const text = pageText((await page.getTextContent()).items);
      page.cleanup();
      anyText ||= text.length > 0;
      sections.push(`## Page ${number}`, text || '_(no text on this page)_');
    }
    if (!anyText) sections.splice(1, 0, '_This PDF has no text layer (it may be a scan): nothing to extract._');
    return `${sections.join('\n\n')}\n`;
  } finally {
    await task.destroy();
  }
}

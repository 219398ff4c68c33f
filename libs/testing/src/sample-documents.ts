import { Document, HeadingLevel, Packer, Paragraph, Table, TableCell, TableRow } from 'docx';
import PDFDocument from 'pdfkit';

/** Sentences the tests look for in the derivatives, one set per format. */
export const SAMPLE = {
  pdf: ['The first page states the claim in plain words.', 'The second page lists the evidence for the court.'],
  docx: {
    heading: 'Memorandum of Understanding',
    paragraphs: ['The parties agree to share the documents.', 'Either party may withdraw with notice.'],
    table: [
      ['Exhibit', 'Pages'],
      ['Contract', 'Twelve'],
    ],
  },
  html: { heading: 'Hearing Notes', paragraph: 'The witness arrived at nine.', script: 'ScriptOnlyToken42' },
  text: 'Call the registry on Monday.\nBring two copies.',
} as const;

/** A two-page PDF with a real text layer, one known sentence per page. */
export function samplePdf(pages: readonly string[] = SAMPLE.pdf): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    // No creation date: the same input gives the same bytes.
    const document = new PDFDocument({ autoFirstPage: false, info: { CreationDate: new Date(0) } });
    const chunks: Buffer[] = [];
    document.on('data', (chunk: Buffer) => chunks.push(chunk));
    document.on('end', () => resolve(Buffer.concat(chunks)));
    document.on('error', reject);
    for (const sentence of pages) document.addPage().fontSize(12).text(sentence);
    document.end();
  });
}

/** A DOCX with a heading, paragraphs and a small table. */
export function sampleDocx(): Promise<Buffer> {
  const { heading, paragraphs, table } = SAMPLE.docx;
  const document = new Document({
    sections: [
      {
        children: [
          new Paragraph({ text: heading, heading: HeadingLevel.HEADING_1 }),
          ...paragraphs.map((text) => new Paragraph({ text })),
          new Table({ rows: table.map((cells) => new TableRow({ children: cells.map((text) => new TableCell({ children: [new Paragraph({ text })] })) })) }),
        ],
      },
    ],
  });
  return Packer.toBuffer(document);
}

/** An HTML page whose script and style must not reach the Markdown. */
export function sampleHtml(): string {
  const { heading, paragraph, script } = SAMPLE.html;
  return [
    '<!doctype html><html><head><title>Notes</title><style>body { color: red }</style></head><body>',
    `<h1>${heading}</h1>`,
    `<p>${paragraph}</p>`,
    `<script>window.leak = "${script}";</script>`,
    '</body></html>',
  ].join('\n');
}

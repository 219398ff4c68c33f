import { randomBytes } from 'node:crypto';
import PDFDocument from 'pdfkit';
import { convertPdf } from './pdf.converter';
import { SAMPLE, samplePdf } from '@case-storage/testing';

function pdfWithoutText(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const document = new PDFDocument();
    const chunks: Buffer[] = [];
    document.on('data', (chunk: Buffer) => chunks.push(chunk));
    document.on('end', () => resolve(Buffer.concat(chunks)));
    document.on('error', reject);
    document.rect(100, 100, 200, 200).fill('#000');
    document.end();
  });
}

describe('convertPdf', () => {
  it('extracts the text layer, each sentence under its own page', async () => {
    const markdown = await convertPdf(await samplePdf(), 'brief.pdf');
    const [first, second] = SAMPLE.pdf;
    expect(markdown.startsWith('# brief.pdf\n\n## Page 1\n\n')).toBe(true);
    expect(markdown.indexOf(first)).toBeGreaterThan(markdown.indexOf('## Page 1'));
    expect(markdown.indexOf('## Page 2')).toBeGreaterThan(markdown.indexOf(first));
    expect(markdown.indexOf(second)).toBeGreaterThan(markdown.indexOf('## Page 2'));
  });

  it('gives the same Markdown for the same bytes', async () => {
    const pdf = await samplePdf();
    expect(await convertPdf(pdf, 'a.pdf')).toBe(await convertPdf(pdf, 'a.pdf'));
  });

  it('says so when there is no text layer', async () => {
    expect(await convertPdf(await pdfWithoutText(), 'scan.pdf')).toContain('no text layer');
  });

  it('rejects bytes that are not a PDF', async () => {
    await expect(convertPdf(randomBytes(4096), 'bad.pdf')).rejects.toMatchObject({ message: expect.stringMatching(/invalid pdf/i) });
  });
});

import { convertDocx } from './docx.converter';
import { SAMPLE, sampleDocx } from '@case-storage/testing';

describe('convertDocx', () => {
  it('keeps the heading, the paragraphs and the table', async () => {
    const markdown = await convertDocx(await sampleDocx());
    const { heading, paragraphs, table } = SAMPLE.docx;
    expect(markdown).toContain(`# ${heading}\n`);
    for (const paragraph of paragraphs) expect(markdown).toContain(paragraph);
    const [header, row] = table.map((cells) => `| ${cells.join(' | ')} |`);
    expect(markdown).toContain(`${header}\n| --- | --- |\n${row}`);
  });

  it('rejects a DOCX that is not a complete zip', async () => {
    const docx = await sampleDocx();
    await expect(convertDocx(docx.subarray(0, docx.length / 2))).rejects.toThrow(/zip/i);
  });
});

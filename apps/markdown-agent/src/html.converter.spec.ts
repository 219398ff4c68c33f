import { convertHtml, htmlToMarkdown } from './html.converter';
import { SAMPLE, sampleHtml } from '@case-storage/testing';

describe('convertHtml', () => {
  it('keeps headings and text and drops script, style and title', () => {
    const markdown = convertHtml(new TextEncoder().encode(sampleHtml()));
    expect(markdown).toContain(`# ${SAMPLE.html.heading}`);
    expect(markdown).toContain(SAMPLE.html.paragraph);
    expect(markdown).not.toContain(SAMPLE.html.script);
    expect(markdown).not.toContain('color: red');
    expect(markdown).not.toMatch(/^Notes$/m);
  });
});

describe('htmlToMarkdown tables', () => {
  it('writes a pipe table with the first row as header, whatever the sections', () => {
    const html = '<table><thead><tr><th>Name</th><th>Note</th></tr></thead><tbody><tr><td><p>A</p><p>B</p></td><td>x | y</td></tr></tbody></table>';
    expect(htmlToMarkdown(html)).toBe('| Name | Note |\n| --- | --- |\n| A B | x \\| y |');
  });

  it('keeps the text around a table apart from it', () => {
    expect(htmlToMarkdown('<p>before</p><table><tr><td>cell</td></tr></table><p>after</p>')).toBe('before\n\n| cell |\n| --- |\n\nafter');
  });
});

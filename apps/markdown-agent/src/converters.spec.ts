import { converterFor } from './converters';
import { convertDocx } from './docx.converter';
import { convertHtml } from './html.converter';
import { convertPdf } from './pdf.converter';
import { convertText } from './text.converter';

describe('converterFor', () => {
  it.each([
    ['brief.pdf', convertPdf],
    ['BRIEF.PDF', convertPdf],
    ['memo.docx', convertDocx],
    ['page.html', convertHtml],
    ['page.htm', convertHtml],
    ['notes.txt', convertText],
  ])('picks the converter for %s by its extension', (name, expected) => {
    expect(converterFor(name)).toBe(expected);
  });

  it.each(['readme.md', 'brief.pdf.md', 'photo.jpg', 'Makefile', 'archive.pdf.zip', 'toString', '.constructor'])('has none for %s', (name) => {
    expect(converterFor(name)).toBeUndefined();
  });
});

import { convertText } from './text.converter';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('convertText', () => {
  it('keeps the text as it is under a title naming the file', () => {
    expect(convertText(bytes('Call *me* <maybe>\n# not a heading of ours\n'), 'notes.txt')).toBe('# notes.txt\n\nCall *me* <maybe>\n# not a heading of ours\n');
  });

  it('normalizes line endings and drops a byte-order mark', () => {
    expect(convertText(bytes('\uFEFFone\r\ntwo\rthree'), 'dos.txt')).toBe('# dos.txt\n\none\ntwo\nthree\n');
  });

  it('turns invalid UTF-8 into replacement characters instead of failing', () => {
    expect(convertText(new Uint8Array([0x61, 0xff, 0x62]), 'latin.txt')).toBe('# latin.txt\n\na\uFFFDb\n');
  });
});

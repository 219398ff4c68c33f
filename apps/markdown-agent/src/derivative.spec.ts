import { titleFor, withSourceHeader } from './derivative';

describe('withSourceHeader', () => {
  it('names the source in a first line without anything that changes between runs', () => {
    expect(withSourceHeader('brief.pdf', '# brief.pdf\n\ntext\n\n')).toBe('<!-- converted from brief.pdf by case-storage markdown-agent -->\n\n# brief.pdf\n\ntext\n');
  });

  it('keeps a hostile file name from ending the comment or breaking the line', () => {
    const header = withSourceHeader('a-->b\n.txt', 'x').split('\n')[0] as string;
    expect(header).toBe('<!-- converted from a%2D->b%0A.txt by case-storage markdown-agent -->');
    expect(header.slice(4, -3)).not.toContain('--');
  });
});

describe('titleFor', () => {
  it('is one heading line even for a name with a newline', () => {
    expect(titleFor('two\nlines.txt')).toBe('# two lines.txt');
  });
});

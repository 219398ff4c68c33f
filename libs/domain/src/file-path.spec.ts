import { checkFilePath, findPathClashes, parentFolders, PathProblem } from './file-path';

const problemOf = (raw: unknown) => {
  const out = checkFilePath(raw);
  return out.ok ? null : out.problem;
};

describe('checkFilePath', () => {
  it.each([
    ['contract.pdf'],
    ['Pleadings/2026-01 motion.docx'],
    ['Évidence/émail.eml'],
    ['a/b/c/d.txt'],
    ['.hidden/notes.md'],
    ['name..with..dots.txt'],
  ])('accepts %j', (raw) => {
    expect(checkFilePath(raw)).toEqual({ ok: true, path: raw.normalize('NFC') });
  });

  it('normalises to NFC so that two spellings of one name are one path', () => {
    const decomposed = 'Cafe\u0301/brief.pdf';
    const out = checkFilePath(decomposed);
    expect(out).toEqual({ ok: true, path: 'Caf\u00e9/brief.pdf' });
  });

  it.each([
    [42, PathProblem.NotAString],
    ['', PathProblem.Empty],
    ['/etc/passwd', PathProblem.Absolute],
    ['a\\b.txt', PathProblem.Backslash],
    ['a\u0000b', PathProblem.ControlCharacter],
    ['line\nbreak.txt', PathProblem.ControlCharacter],
    ['tab\there', PathProblem.ControlCharacter],
    ['del\u007f', PathProblem.ControlCharacter],
    ['invoice\u202efdp.exe', PathProblem.BidiControl],
    ['a//b.txt', PathProblem.EmptySegment],
    ['folder/', PathProblem.EmptySegment],
    ['../escape.txt', PathProblem.DotSegment],
    ['a/../../b', PathProblem.DotSegment],
    ['./a.txt', PathProblem.DotSegment],
    ['a/.', PathProblem.DotSegment],
    ['x'.repeat(256), PathProblem.SegmentTooLong],
    [`${'d'.repeat(200)}/`.repeat(6) + 'f', PathProblem.TooLong],
  ])('rejects %j as %s', (raw, problem) => {
    expect(problemOf(raw)).toBe(problem);
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    const segment = 'é'.repeat(128); // 256 bytes, 128 characters
    expect(problemOf(segment)).toBe(PathProblem.SegmentTooLong);
    const path = Array.from({ length: 5 }, () => 'é'.repeat(110)).join('/'); // 1104 bytes
    expect(problemOf(path)).toBe(PathProblem.TooLong);
  });
});

describe('parentFolders', () => {
  it('lists every containing folder, outermost first', () => {
    expect(parentFolders('a/b/c.pdf')).toEqual(['a', 'a/b']);
    expect(parentFolders('c.pdf')).toEqual([]);
  });
});

describe('findPathClashes', () => {
  it('finds duplicates and file/folder clashes, and nothing else', () => {
    expect(findPathClashes(['a.pdf', 'b.pdf', 'a.pdf'])).toEqual([{ index: 2, clashesWith: 0, kind: 'duplicate' }]);
    expect(findPathClashes(['docs', 'docs/x.pdf'])).toEqual([{ index: 1, clashesWith: 0, kind: 'file-folder' }]);
    expect(findPathClashes(['docs/x.pdf', 'docs'])).toEqual([{ index: 1, clashesWith: 0, kind: 'file-folder' }]);
    expect(findPathClashes(['docs/x.pdf', 'docs/y.pdf', 'docsx'])).toEqual([]);
  });
});

import { BaselineEntry } from './sync-plan';
import { conflictCopyPath, contentTypeOf, derivedSourceOf } from './sync-naming';

const WS = '1a2b3c4d-0000-4000-8000-000000000000';

const entry = (path: string): BaselineEntry => ({ path, fileId: `f-${path}`, versionId: `v-${path}`, etag: '"e"', sha256: 'a'.repeat(64), size: 1, mtimeMs: 1 });

describe('conflictCopyPath', () => {
  it('puts the copy next to the original, before the last extension', () => {
    expect(conflictCopyPath('docs/brief.pdf.md', WS)).toBe('docs/brief.pdf (agent conflict 1a2b3c4d).md');
    expect(conflictCopyPath('README', WS, 2)).toBe('README (agent conflict 1a2b3c4d 2)');
    expect(conflictCopyPath('.env', WS)).toBe('.env (agent conflict 1a2b3c4d)');
  });

  it('shortens a long stem to keep the name within 255 bytes', () => {
    const copy = conflictCopyPath(`a/${'é'.repeat(120)}.md`, WS);
    const name = copy.slice(2);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(255);
    expect(name.endsWith(' (agent conflict 1a2b3c4d).md')).toBe(true);
  });
});

describe('derivedSourceOf', () => {
  const baseline = new Map([['brief.pdf', entry('brief.pdf')], ['notes.md', entry('notes.md')]]);

  it('links x.md to the baseline version of x', () => {
    expect(derivedSourceOf('brief.pdf.md', baseline)?.versionId).toBe('v-brief.pdf');
  });

  it('links nothing without a baseline source, or from a Markdown source', () => {
    expect(derivedSourceOf('other.pdf.md', baseline)).toBeNull();
    expect(derivedSourceOf('notes.md.md', baseline)).toBeNull();
    expect(derivedSourceOf('brief.pdf', baseline)).toBeNull();
  });
});

describe('contentTypeOf', () => {
  it('knows the agent outputs and treats the rest as bytes', () => {
    expect(contentTypeOf('a/b.pdf.md')).toBe('text/markdown');
    expect(contentTypeOf('a.b/c')).toBe('application/octet-stream');
    expect(contentTypeOf('x.PDF')).toBe('application/pdf');
  });
});

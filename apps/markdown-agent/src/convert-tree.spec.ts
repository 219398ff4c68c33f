import { randomBytes } from 'node:crypto';
import { link, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentEvent } from './agent-log';
import { convertTree, DEFAULT_MAX_BYTES } from './convert-tree';
import { SAMPLE, sampleDocx, sampleHtml, samplePdf } from '@case-storage/testing';

let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'markdown-agent-tree-'));
});

afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

/** A fresh workspace directory (and a sibling outside it) for one test. */
async function workspace(name: string): Promise<{ root: string; outside: string }> {
  const root = join(scratch, name, 'workspace');
  const outside = join(scratch, name, 'outside');
  await mkdir(root, { recursive: true });
  await mkdir(outside, { recursive: true });
  return { root, outside };
}

async function run(root: string, maxBytes = DEFAULT_MAX_BYTES): Promise<{ events: AgentEvent[]; counts: Awaited<ReturnType<typeof convertTree>> }> {
  const events: AgentEvent[] = [];
  const counts = await convertTree(root, { maxBytes, log: (event) => events.push(event) });
  return { events, counts };
}

const skipped = (events: AgentEvent[], path: string) => events.filter((e) => e.event === 'skipped' && e.path === path).map((e) => (e.event === 'skipped' ? e.reason : undefined));
const byEvent = (events: AgentEvent[], event: AgentEvent['event']) => events.filter((e) => e.event === event).map((e) => ('path' in e ? e.path : undefined));

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

/** The sample documents, a nested one, and the corrupt and hostile entries. */
async function populate(root: string, outside: string): Promise<void> {
  await mkdir(join(root, 'docs', 'deeper'), { recursive: true });
  await writeFile(join(root, 'docs', 'brief.pdf'), await samplePdf());
  await writeFile(join(root, 'memo.docx'), await sampleDocx());
  await writeFile(join(root, 'page.html'), sampleHtml());
  await writeFile(join(root, 'docs', 'deeper', 'notes.txt'), SAMPLE.text);
  await writeFile(join(root, 'broken.pdf'), randomBytes(8192));
  const docx = await sampleDocx();
  await writeFile(join(root, 'broken.docx'), docx.subarray(0, Math.floor(docx.length / 2)));
  await symlink('/etc/passwd', join(root, 'evil.txt'));
  await writeFile(join(outside, 'secret.txt'), 'outside the workspace');
  await symlink(outside, join(root, 'linked-dir'));
  await writeFile(join(root, '.hidden.txt'), 'not for the agent');
  await writeFile(join(root, 'readme.md'), '# already Markdown\n');
}

const DERIVATIVES = ['docs/brief.pdf.md', 'memo.docx.md', 'page.html.md', 'docs/deeper/notes.txt.md'];

describe('convertTree', () => {
  it('converts every supported document, nested ones too, into Markdown next to it', async () => {
    const { root, outside } = await workspace('convert');
    await populate(root, outside);
    const { events, counts } = await run(root);

    const read = (path: string) => readFile(join(root, path), 'utf8');
    expect((await read('docs/brief.pdf.md')).startsWith('<!-- converted from brief.pdf by case-storage markdown-agent -->\n')).toBe(true);
    for (const sentence of SAMPLE.pdf) expect(await read('docs/brief.pdf.md')).toContain(sentence);
    for (const paragraph of SAMPLE.docx.paragraphs) expect(await read('memo.docx.md')).toContain(paragraph);
    expect(await read('memo.docx.md')).toContain(`# ${SAMPLE.docx.heading}`);
    expect(await read('page.html.md')).toContain(SAMPLE.html.paragraph);
    expect(await read('page.html.md')).not.toContain(SAMPLE.html.script);
    expect(await read('docs/deeper/notes.txt.md')).toContain(SAMPLE.text);

    expect(byEvent(events, 'converted').sort()).toEqual(['docs/brief.pdf', 'docs/deeper/notes.txt', 'memo.docx', 'page.html']);
    expect(events.find((e) => e.event === 'converted' && e.path === 'docs/brief.pdf')).toMatchObject({ level: 'info', output: 'docs/brief.pdf.md', ms: expect.any(Number) });
    expect(counts).toEqual({ converted: 4, skipped: 2, failed: 2 });
    expect(events.at(-1)).toMatchObject({ level: 'info', event: 'summary', converted: 4, skipped: 2, failed: 2 });
  });

  it('logs corrupt documents as failed and goes on with the others', async () => {
    const { root, outside } = await workspace('corrupt');
    await populate(root, outside);
    const { events } = await run(root);

    expect(events.filter((e) => e.event === 'failed')).toEqual([
      { level: 'error', event: 'failed', path: 'broken.docx', error: expect.stringMatching(/zip/i) },
      { level: 'error', event: 'failed', path: 'broken.pdf', error: expect.stringMatching(/invalid pdf/i) },
    ]);
    expect(await exists(join(root, 'broken.pdf.md'))).toBe(false);
    expect(await exists(join(root, 'broken.docx.md'))).toBe(false);
    for (const path of DERIVATIVES) expect(await exists(join(root, path))).toBe(true);
  });

  it('follows no symbolic link and writes nothing outside the directory', async () => {
    const { root, outside } = await workspace('links');
    await populate(root, outside);
    const { events } = await run(root);

    expect(skipped(events, 'evil.txt')).toEqual(['symlink']);
    expect(skipped(events, 'linked-dir')).toEqual(['symlink']);
    expect(await exists(join(root, 'evil.txt.md'))).toBe(false);
    expect(await readdir(outside)).toEqual(['secret.txt']);
    expect(events.some((e) => 'path' in e && e.path.startsWith('linked-dir/'))).toBe(false);
  });

  it('leaves dot-names and Markdown files alone and leaves no temporary file behind', async () => {
    const { root, outside } = await workspace('ignored');
    await populate(root, outside);
    await run(root);

    const names = await readdir(root);
    expect(names).not.toContain('.hidden.txt.md');
    expect(names).not.toContain('readme.md.md');
    expect(names.filter((n) => n.startsWith('.'))).toEqual(['.hidden.txt']);
    expect((await readdir(join(root, 'docs'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('rewrites nothing on a second run, and produces the same bytes when it does convert again', async () => {
    const { root, outside } = await workspace('rerun');
    await populate(root, outside);
    await run(root);
    const before = await Promise.all(DERIVATIVES.map(async (path) => ({ path, stat: await stat(join(root, path)), bytes: await readFile(join(root, path)) })));

    const { events, counts } = await run(root);
    expect(counts.converted).toBe(0);
    for (const { path, stat: previous } of before) {
      const source = path.slice(0, -'.md'.length);
      expect(skipped(events, source)).toEqual(['up-to-date']);
      const now = await stat(join(root, path));
      expect([now.ino, now.mtimeMs]).toEqual([previous.ino, previous.mtimeMs]);
    }

    await Promise.all(DERIVATIVES.map((path) => rm(join(root, path))));
    await run(root);
    for (const { path, bytes } of before) expect(await readFile(join(root, path))).toEqual(bytes);
  });

  it('converts again a source that is newer than its derivative', async () => {
    const { root, outside } = await workspace('touched');
    await populate(root, outside);
    await run(root);
    const output = join(root, 'page.html.md');
    const previous = await stat(output);
    const future = new Date(Date.now() + 60_000);
    await writeFile(join(root, 'page.html'), '<p>The hearing moved to Friday.</p>');
    await utimes(join(root, 'page.html'), future, future);

    // A touch alone (same bytes, newer mtime) is enough too.
    await utimes(join(root, 'memo.docx'), future, future);

    const { events } = await run(root);
    expect(byEvent(events, 'converted')).toEqual(['memo.docx', 'page.html']);
    expect(await readFile(output, 'utf8')).toContain('The hearing moved to Friday.');
    const now = await stat(output);
    expect(now.ino).not.toBe(previous.ino);
    expect(now.mtimeMs).toBeGreaterThanOrEqual(future.getTime());

    // A source dated in the future stays up to date on the run after.
    expect(byEvent((await run(root)).events, 'converted')).toEqual([]);
  });

  it('writes derivatives with mode 0644 whatever the umask', async () => {
    const { root } = await workspace('mode');
    await writeFile(join(root, 'notes.txt'), SAMPLE.text);
    const umask = process.umask(0o077);
    try {
      await run(root);
    } finally {
      process.umask(umask);
    }
    expect((await stat(join(root, 'notes.txt.md'))).mode & 0o777).toBe(0o644);
  });

  it('skips inputs over the size limit', async () => {
    const { root } = await workspace('large');
    await writeFile(join(root, 'small.txt'), 'x'.repeat(100));
    await writeFile(join(root, 'large.txt'), 'x'.repeat(101));
    const { events } = await run(root, 100);
    expect(events.find((e) => e.event === 'skipped')).toEqual({ level: 'info', event: 'skipped', path: 'large.txt', reason: 'too-large', size: 101, maxBytes: 100 });
    expect(await exists(join(root, 'large.txt.md'))).toBe(false);
    expect(await exists(join(root, 'small.txt.md'))).toBe(true);
  });

  it('does not write through an output name that is a symbolic link or a folder', async () => {
    const { root, outside } = await workspace('outputs');
    await writeFile(join(root, 'victim.txt'), 'text');
    await writeFile(join(outside, 'target'), 'untouched');
    await symlink(join(outside, 'target'), join(root, 'victim.txt.md'));
    await writeFile(join(root, 'folder.txt'), 'text');
    await mkdir(join(root, 'folder.txt.md'));

    const { events } = await run(root);
    expect(skipped(events, 'victim.txt')).toEqual(['output-not-a-regular-file']);
    expect(skipped(events, 'folder.txt')).toEqual(['output-not-a-regular-file']);
    expect(await readFile(join(outside, 'target'), 'utf8')).toBe('untouched');
  });

  it('skips a file with a second name (hard link), as the workspace sync refuses it', async () => {
    const { root, outside } = await workspace('hard-link');
    await writeFile(join(outside, 'elsewhere.txt'), 'a file from another place');
    await link(join(outside, 'elsewhere.txt'), join(root, 'alias.txt'));
    const { events } = await run(root);
    expect(skipped(events, 'alias.txt')).toEqual(['hard-link']);
    expect(await exists(join(root, 'alias.txt.md'))).toBe(false);
  });

  it('throws for a directory that does not exist', async () => {
    await expect(run(join(scratch, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

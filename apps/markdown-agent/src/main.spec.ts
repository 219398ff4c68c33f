import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SAMPLE, sampleDocx, sampleHtml, samplePdf } from '@case-storage/testing';

// The built bundle, not the sources: this is what the workspace manager runs, and the only
// place where loading the ESM-only pdfjs through webpack's output is proven. CI builds
// before it tests; `nx test markdown-agent` depends on the build.
const BUNDLE = resolve(__dirname, '../../../dist/apps/markdown-agent/main.js');

let scratch: string;

beforeAll(async () => {
  if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npx nx build markdown-agent\` first`);
  scratch = await mkdtemp(join(tmpdir(), 'markdown-agent-bundle-'));
});

afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

interface Run {
  readonly code: number | null;
  readonly lines: Record<string, unknown>[];
  readonly stderr: string;
}

/** Runs the bundle the way the manager does: in the workspace, with a minimal environment. */
function agent(args: readonly string[], cwd: string): Run {
  const result = spawnSync(process.execPath, [BUNDLE, ...args], { cwd, env: { PATH: process.env['PATH'] ?? '', HOME: cwd, LANG: 'C.UTF-8' }, encoding: 'utf8', timeout: 60_000 });
  const lines = result.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code: result.status, lines, stderr: result.stderr };
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}

describe('the built agent', () => {
  it('converts the workspace it runs in, logs JSON lines, survives corrupt files and exits 0', async () => {
    const root = join(scratch, 'workspace');
    await mkdir(join(root, 'sub'), { recursive: true });
    await writeFile(join(root, 'sub', 'brief.pdf'), await samplePdf());
    await writeFile(join(root, 'memo.docx'), await sampleDocx());
    await writeFile(join(root, 'page.htm'), sampleHtml());
    await writeFile(join(root, 'notes.txt'), SAMPLE.text);
    await writeFile(join(root, 'broken.pdf'), randomBytes(4096));
    await writeFile(join(root, 'broken.docx'), 'PK\u0003\u0004 not really a zip');
    await symlink('/etc/passwd', join(root, 'evil.txt'));

    const first = agent([], root);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    for (const sentence of SAMPLE.pdf) expect(await readFile(join(root, 'sub', 'brief.pdf.md'), 'utf8')).toContain(sentence);
    expect(await readFile(join(root, 'memo.docx.md'), 'utf8')).toContain(SAMPLE.docx.paragraphs[0]);
    expect(await readFile(join(root, 'page.htm.md'), 'utf8')).not.toContain(SAMPLE.html.script);
    expect(await readFile(join(root, 'notes.txt.md'), 'utf8')).toContain(SAMPLE.text);
    expect(await exists(join(root, 'evil.txt.md'))).toBe(false);
    expect(first.lines).toContainEqual({ level: 'info', event: 'converted', path: 'sub/brief.pdf', output: 'sub/brief.pdf.md', ms: expect.any(Number) });
    expect(first.lines).toContainEqual({ level: 'error', event: 'failed', path: 'broken.pdf', error: expect.any(String) });
    expect(first.lines).toContainEqual({ level: 'error', event: 'failed', path: 'broken.docx', error: expect.any(String) });
    expect(first.lines).toContainEqual({ level: 'info', event: 'skipped', path: 'evil.txt', reason: 'symlink' });
    expect(first.lines.at(-1)).toMatchObject({ event: 'summary', converted: 4, skipped: 1, failed: 2 });

    // The directory as an argument, from elsewhere: everything is up to date.
    const second = agent([root], scratch);
    expect(second.code).toBe(0);
    expect(second.lines.filter((l) => l['reason'] === 'up-to-date').map((l) => l['path'])).toEqual(['memo.docx', 'notes.txt', 'page.htm', 'sub/brief.pdf']);
    expect(second.lines.at(-1)).toMatchObject({ event: 'summary', converted: 0, skipped: 5, failed: 2 });
  });

  it('honours --max-bytes', async () => {
    const root = join(scratch, 'limit');
    await mkdir(root);
    await writeFile(join(root, 'notes.txt'), 'x'.repeat(64));
    const run = agent([root, '--max-bytes', '63'], scratch);
    expect(run.code).toBe(0);
    expect(run.lines).toContainEqual({ level: 'info', event: 'skipped', path: 'notes.txt', reason: 'too-large', size: 64, maxBytes: 63 });
  });

  it('exits 1 when the directory is missing and 2 on bad arguments', () => {
    const missing = agent([join(scratch, 'nowhere')], scratch);
    expect(missing.code).toBe(1);
    expect(missing.lines).toEqual([{ level: 'fatal', event: 'fatal', error: expect.stringContaining('ENOENT') }]);

    const usage = agent(['--max-bytes', 'lots'], scratch);
    expect(usage.code).toBe(2);
    expect(usage.lines).toEqual([{ level: 'fatal', event: 'fatal', error: expect.stringContaining('--max-bytes') }]);
  });
});

import { execFileSync } from 'node:child_process';
import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanWorkspace } from './workspace-scan';

/** Real directories with the hostile entries an agent could leave behind. */
describe('scanWorkspace', () => {
  let root: string;
  let ws: string;
  let other: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'scan-'));
    ws = join(root, 'ws');
    other = join(root, 'other-tenant');
    await mkdir(join(ws, 'docs', 'deep'), { recursive: true });
    await mkdir(other, { recursive: true });
    await writeFile(join(other, 'secret.pdf'), 'someone else');
    await writeFile(join(ws, 'brief.pdf'), 'brief');
    await writeFile(join(ws, 'docs', 'deep', 'note.md'), '# note');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('lists regular files, sorted, with size and mtime', async () => {
    const { files, refused } = await scanWorkspace(ws);
    expect(files.map((f) => [f.path, f.size])).toEqual([
      ['brief.pdf', 5],
      ['docs/deep/note.md', 6],
    ]);
    expect(files[0].mtimeMs).toBeGreaterThan(0);
    expect(refused).toEqual([]);
  });

  it('refuses symlinks to /etc/passwd and into another tenant, and never walks a linked folder', async () => {
    await symlink('/etc/passwd', join(ws, 'passwd.pdf'));
    await symlink(join(other, 'secret.pdf'), join(ws, 'docs', 'secret.pdf'));
    await symlink(other, join(ws, 'linked-folder'));
    const { files, refused } = await scanWorkspace(ws);
    expect(files.map((f) => f.path)).toEqual(['brief.pdf', 'docs/deep/note.md']);
    expect(refused.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: 'docs/secret.pdf', reason: 'symlink' },
      { path: 'linked-folder', reason: 'symlink' },
      { path: 'passwd.pdf', reason: 'symlink' },
    ]);
  });

  it('refuses a FIFO, a socket and a hard link without opening them', async () => {
    execFileSync('mkfifo', [join(ws, 'pipe.pdf')]);
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(join(ws, 'sock'), resolve));
    await link(join(other, 'secret.pdf'), join(ws, 'hardlinked.pdf'));
    try {
      const { files, refused } = await scanWorkspace(ws);
      expect(files.map((f) => f.path)).toEqual(['brief.pdf', 'docs/deep/note.md']);
      expect(refused.map((r) => `${r.path}:${r.reason}`).sort()).toEqual(['hardlinked.pdf:hard-link', 'pipe.pdf:fifo', 'sock:socket']);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('refuses names the upload rules refuse, skips the manager\'s own folder, and bounds depth and count', async () => {
    await writeFile(join(ws, 'line\nbreak.pdf'), 'x');
    await writeFile(join(ws, 'back\\slash.pdf'), 'x');
    await mkdir(join(ws, '.case-storage'));
    await writeFile(join(ws, '.case-storage', 'agent.log'), 'log');
    const { files, refused } = await scanWorkspace(ws, { ignore: ['.case-storage'], maxDepth: 1 });
    expect(files.map((f) => f.path)).toEqual(['brief.pdf']);
    expect(refused.map((r) => `${JSON.stringify(r.path)}:${r.reason}`).sort()).toEqual([
      '"back\\\\slash.pdf":invalid-name',
      '"docs/deep":too-deep',
      '"line\\nbreak.pdf":invalid-name',
    ]);
    const bounded = await scanWorkspace(ws, { ignore: ['.case-storage'], maxEntries: 2 });
    expect(bounded.refused.filter((r) => r.reason === 'too-many')).toHaveLength(1);
  });
});

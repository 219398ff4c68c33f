import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { checkFilePath } from '@case-storage/domain';

/** A regular file the agent left in the workspace, as the sync will consider it. */
export interface ScannedFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

export type RefusalReason = 'symlink' | 'fifo' | 'socket' | 'device' | 'hard-link' | 'invalid-name' | 'too-deep' | 'too-many';

/** Something in the workspace that is never followed, read or uploaded, and why. */
export interface RefusedEntry {
  readonly path: string;
  readonly reason: RefusalReason;
}

export interface ScanOptions {
  /** Top-level names the manager owns (logs, metadata), skipped silently. */
  readonly ignore?: readonly string[];
  readonly maxDepth?: number;
  readonly maxEntries?: number;
}

/**
 * Walks a workspace without following anything: every entry is `lstat`ed, symbolic links
 * (to files or folders, inside or outside), FIFOs, sockets and devices are refused, so
 * is a file with more than one hard link (it could be another file on the node under a
 * second name), and so is a name the upload rules would refuse. Only regular files come
 * back. The sync uploads from this list and nothing else.
 */
export async function scanWorkspace(workspace: string, options: ScanOptions = {}): Promise<{ files: ScannedFile[]; refused: RefusedEntry[] }> {
  const ignore = new Set(options.ignore ?? []);
  const maxDepth = options.maxDepth ?? 64;
  const maxEntries = options.maxEntries ?? 1_000_000;
  const files: ScannedFile[] = [];
  const refused: RefusedEntry[] = [];
  let seen = 0;
  let stopped = false;

  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    // An agent still at work may remove a folder or a file between listing and lstat: skip it.
    const handle = await opendir(dir).catch((err: unknown) => {
      if (depth > 0 && isGone(err)) return null;
      throw err;
    });
    if (!handle) return;
    for await (const entry of handle) {
      if (stopped) return;
      if (depth === 0 && ignore.has(entry.name)) continue;
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (++seen > maxEntries) {
        refused.push({ path, reason: 'too-many' });
        stopped = true;
        return;
      }
      const check = checkFilePath(path);
      if (!check.ok || check.path !== path) {
        refused.push({ path, reason: 'invalid-name' });
        continue;
      }
      const absolute = join(dir, entry.name);
      const stat = await lstat(absolute).catch((err: unknown) => {
        if (isGone(err)) return null;
        throw err;
      });
      if (!stat) continue;
      if (stat.isSymbolicLink()) refused.push({ path, reason: 'symlink' });
      else if (stat.isDirectory()) {
        if (depth + 1 > maxDepth) refused.push({ path, reason: 'too-deep' });
        else await walk(absolute, path, depth + 1);
      } else if (stat.isFIFO()) refused.push({ path, reason: 'fifo' });
      else if (stat.isSocket()) refused.push({ path, reason: 'socket' });
      else if (stat.isBlockDevice() || stat.isCharacterDevice()) refused.push({ path, reason: 'device' });
      else if (stat.isFile()) {
        if (stat.nlink > 1) refused.push({ path, reason: 'hard-link' });
        else files.push({ path, size: stat.size, mtimeMs: stat.mtimeMs });
      }
    }
  };

  await walk(workspace, '', 0);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, refused };
}

function isGone(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

import { randomBytes } from 'node:crypto';
import { constants, Stats } from 'node:fs';
import { lstat, open, opendir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AgentLog, errorMessage, RunCounts, SkipReason } from './agent-log';
import { converterFor } from './converters';
import { withSourceHeader } from './derivative';

export const DEFAULT_MAX_BYTES = 100 * 1024 * 1024;

export interface ConvertTreeOptions {
  /** Inputs larger than this are skipped (and logged). */
  readonly maxBytes: number;
  readonly log: AgentLog;
}

/** The derivative of `x` is `x.md`, next to it. */
const DERIVATIVE_SUFFIX = '.md';

/**
 * Converts every supported document under `root` to Markdown next to it. Nothing is
 * followed: entries are `lstat`ed, symbolic links and anything but regular files are
 * skipped, and so are dot-names (ours and the manager's). Only an unreadable `root` throws;
 * a file that cannot be converted is logged and the walk goes on.
 */
export async function convertTree(root: string, options: ConvertTreeOptions): Promise<RunCounts> {
  const started = Date.now();
  const counts = { converted: 0, skipped: 0, failed: 0 };
  const { log, maxBytes } = options;

  const skip = (path: string, reason: SkipReason, extra: { size?: number; maxBytes?: number } = {}) => {
    counts.skipped++;
    log({ level: 'info', event: 'skipped', path, reason, ...extra });
  };
  const fail = (path: string, error: unknown) => {
    counts.failed++;
    log({ level: 'error', event: 'failed', path, error: errorMessage(error) });
  };

  const convertFile = async (absolute: string, path: string, stat: Stats): Promise<void> => {
    const convert = converterFor(basename(absolute));
    if (!convert) return;
    // Mirrors the workspace sync, which refuses hard links: a second name for a file
    // elsewhere on the node must not be laundered into a derivative that it would upload.
    if (stat.nlink > 1) return skip(path, 'hard-link');
    if (stat.size > maxBytes) return skip(path, 'too-large', { size: stat.size, maxBytes });
    const output = `${absolute}${DERIVATIVE_SUFFIX}`;
    const existing = await lstatOrNull(output);
    if (existing && !existing.isFile()) return skip(path, 'output-not-a-regular-file');
    if (existing && existing.mtimeMs >= stat.mtimeMs) return skip(path, 'up-to-date');

    const begun = Date.now();
    const input = await readRegularFile(absolute, stat, maxBytes);
    const markdown = withSourceHeader(basename(absolute), await convert(input, basename(absolute)));
    await writeAtomically(output, markdown, stat.mtimeMs);
    counts.converted++;
    log({ level: 'info', event: 'converted', path, output: `${path}${DERIVATIVE_SUFFIX}`, ms: Date.now() - begun });
  };

  const walk = async (directory: string, prefix: string): Promise<void> => {
    for (const name of await listNames(directory)) {
      if (name.startsWith('.')) continue;
      const path = prefix ? `${prefix}/${name}` : name;
      const absolute = join(directory, name);
      try {
        const stat = await lstat(absolute);
        if (stat.isSymbolicLink()) skip(path, 'symlink');
        else if (stat.isDirectory()) await walk(absolute, path);
        else if (!stat.isFile()) skip(path, 'not-a-regular-file');
        else await convertFile(absolute, path, stat);
      } catch (error) {
        fail(path, error);
      }
    }
  };

  await walk(root, '');
  log({ level: 'info', event: 'summary', ...counts, ms: Date.now() - started });
  return counts;
}

/** A directory's names, sorted so that runs log in the same order. */
async function listNames(directory: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of await opendir(directory)) names.push(entry.name);
  return names.sort();
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Reads the file that was `lstat`ed, and only that: O_NOFOLLOW refuses a symbolic link
 * swapped in since, O_NONBLOCK keeps a swapped-in FIFO from blocking, and the open file
 * must be the same inode, still regular and still within the limit.
 */
async function readRegularFile(path: string, expected: Stats, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stat = await handle.stat();
    if (!stat.isFile() || stat.ino !== expected.ino || stat.dev !== expected.dev) throw new Error('the file changed while it was being read');
    if (stat.size > maxBytes) throw new Error(`the file grew past the limit of ${maxBytes} bytes`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/**
 * Writes `path` by renaming a complete temporary file over it, so a reader (or a killed
 * run) never sees half a derivative. The temporary name starts with a dot: the walk and
 * a rerun ignore it. The result is stamped with the source's mtime, rounded up: a source
 * changed while it was converted then still looks newer than its derivative, and a source
 * dated in the future does not make every rerun convert it again. (+2 ms because utimes
 * takes seconds as a double, which cannot hold a 2020s time to the nanosecond.)
 */
async function writeAtomically(path: string, content: string, sourceMtimeMs: number): Promise<void> {
  const temporary = join(dirname(path), `.${randomBytes(8).toString('hex')}.markdown-agent.tmp`);
  const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    try {
      await handle.writeFile(content, 'utf8');
      await handle.chmod(0o644); // the umask may have narrowed the mode given to open
      const stamp = new Date(Math.floor(sourceMtimeMs) + 2);
      await handle.utimes(stamp, stamp);
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

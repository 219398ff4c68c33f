import { createHash, randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { lstat, mkdir, open, readdir, rename, rm, utimes } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import {
  ContentMismatchError,
  ContentStoreError,
  ContentStoreErrorCode,
} from './content-store.errors';

export interface ContentStoreOptions {
  /** Absolute directory on the node's SSD that the store owns outright. */
  readonly root: string;
  /** Disk budget for stored objects; least-recently-used unpinned objects go first. */
  readonly budgetBytes: number;
  /**
   * `init()` removes temp files untouched for this long. A temp file younger than this
   * may belong to a download in another process sharing the root, so it is left alone.
   * Defaults to 15 minutes.
   */
  readonly staleTempAgeMs?: number;
}

export type ContentSource = AsyncIterable<Uint8Array> | NodeJS.ReadableStream;

export interface EnsureOptions {
  /**
   * Pin the object before anything else happens (released again if `ensure` throws), so
   * no eviction can remove it between `ensure` resolving and the caller using the path.
   * The caller owes one `unpin` per successful pinned `ensure`.
   */
  readonly pin?: boolean;
}

export interface EnsureResult {
  readonly path: string;
  /** True when this call (or the in-flight download it joined) fetched the bytes. */
  readonly downloaded: boolean;
  readonly bytes: number;
}

export interface ContentStoreStats {
  readonly entries: number;
  readonly bytes: number;
  readonly downloads: number;
  readonly hits: number;
  readonly evictions: number;
}

const DIGEST = /^[0-9a-f]{64}$/;
const FAN_OUT = /^[0-9a-f]{2}$/;
const DEFAULT_STALE_TEMP_AGE_MS = 15 * 60 * 1000;

interface Entry {
  readonly size: number;
}

/**
 * The node-local content-addressed cache (DESIGN §4, workspace step 2).
 *
 * Layout: `{root}/sha256/ab/cd/<64 hex>` for objects, `{root}/tmp/` for downloads in
 * progress (same filesystem, so the final `rename` is atomic). An object only ever
 * reaches its final path after its SHA-256 and size were checked, so a path that exists
 * holds exactly the bytes its name says; hits are not re-hashed.
 *
 * Recency: an in-memory LRU index (a `Map` kept in use order) is the source of truth
 * while the process runs; each hit also sets the file's atime and mtime so that `init()`
 * can rebuild the same order from mtimes after a restart.
 *
 * Protection: reference-counted `pin`/`unpin` (or `ensure(..., { pin: true })`). A
 * materialize pins every object it is laying out and unpins when the workspace is
 * written. The budget is a target, not a hard cap: if pinned objects plus the object
 * just inserted exceed it, the store stays over budget until `trim()`, the next insert
 * or the next `init()`.
 *
 * Objects are written 0600 and made 0400 before the rename. Workspaces must COPY out
 * of the store, never hard-link: a hard link shares the inode, so an agent writing the
 * file in place (the mode does not stop root, nor a chmod by the owner) would silently
 * corrupt the cache for every later workspace. `fs.copyFile(src, dst,
 * fs.constants.COPYFILE_FICLONE)` gives a cheap reflink on filesystems that support it
 * (XFS, btrfs) and falls back to a plain copy elsewhere.
 *
 * Concurrency: one process owns the index and the budget. Concurrent `ensure` calls for
 * one digest share a single download. Another process racing on the same root is safe
 * for integrity (both rename identical, verified content into place; a copy one of them
 * finds on disk is adopted without downloading), but each process accounts only what
 * it has seen since its own `init()`.
 */
export class ContentStore {
  private readonly root: string;
  private readonly objectsDir: string;
  private readonly tmpDir: string;
  private readonly budgetBytes: number;
  private readonly staleTempAgeMs: number;

  /** Digest → entry, in least- to most-recently-used order. */
  private index = new Map<string, Entry>();
  private totalBytes = 0;
  private readonly pins = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<EnsureResult>>();
  /** Unlinks in progress, so a re-download of the same digest never races its removal. */
  private readonly evicting = new Map<string, Promise<void>>();
  /** Fan-out folders known to exist (never removed while the process runs). */
  private readonly folders = new Set<string>();
  private initialized = false;
  private downloads = 0;
  private hits = 0;
  private evictions = 0;

  constructor(options: ContentStoreOptions) {
    if (!isAbsolute(options.root)) {
      throw new ContentStoreError(ContentStoreErrorCode.InvalidConfig, 'root must be an absolute path', {
        root: options.root,
      });
    }
    if (!Number.isSafeInteger(options.budgetBytes) || options.budgetBytes < 0) {
      throw new ContentStoreError(ContentStoreErrorCode.InvalidConfig, 'budgetBytes must be a non-negative integer', {
        budgetBytes: options.budgetBytes,
      });
    }
    const staleTempAgeMs = options.staleTempAgeMs ?? DEFAULT_STALE_TEMP_AGE_MS;
    if (!Number.isFinite(staleTempAgeMs) || staleTempAgeMs < 0) {
      throw new ContentStoreError(ContentStoreErrorCode.InvalidConfig, 'staleTempAgeMs must be non-negative', {
        staleTempAgeMs,
      });
    }
    this.root = options.root;
    this.objectsDir = join(options.root, 'sha256');
    this.tmpDir = join(options.root, 'tmp');
    this.budgetBytes = options.budgetBytes;
    this.staleTempAgeMs = staleTempAgeMs;
  }

  /**
   * Creates the directories, removes stale temp files, rebuilds the index and the total
   * from what is on disk (one scan) and evicts down to the budget, which may have shrunk
   * since the last run. Call once, before any other method.
   */
  async init(): Promise<void> {
    for (const dir of [this.root, this.objectsDir, this.tmpDir]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
    await this.removeStaleTemps();

    const found = await this.scanObjects();
    found.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.sha < b.sha ? -1 : 1));
    this.index = new Map(found.map((f) => [f.sha, { size: f.size }]));
    this.totalBytes = found.reduce((sum, f) => sum + f.size, 0);
    this.initialized = true;
    await this.evictToFit();
  }

  /**
   * The path an object lives at. Throws unless `sha256Hex` is 64 lower-case hex
   * characters, so no caller can build a path from arbitrary input.
   */
  pathOf(sha256Hex: string): string {
    assertDigest(sha256Hex);
    return join(this.objectsDir, sha256Hex.slice(0, 2), sha256Hex.slice(2, 4), sha256Hex);
  }

  async has(sha256Hex: string): Promise<boolean> {
    const path = this.pathOf(sha256Hex);
    this.assertInitialized();
    if (this.index.has(sha256Hex)) return true;
    // Another process sharing the root may have placed it.
    return (await lstatOrNull(path))?.isFile() ?? false;
  }

  /**
   * Read-through: returns the local path of the object, fetching it only if it is not on
   * the node yet. `fetch` is called at most once per digest at a time, and not at all on
   * a hit. Throws `ContentMismatchError` (leaving nothing behind) when the bytes do not
   * hash to `sha256Hex` or do not number `expectedSize`.
   */
  async ensure(
    sha256Hex: string,
    expectedSize: number,
    fetch: () => Promise<ContentSource>,
    options: EnsureOptions = {},
  ): Promise<EnsureResult> {
    assertDigest(sha256Hex);
    if (!Number.isSafeInteger(expectedSize) || expectedSize < 0) {
      throw new ContentStoreError(ContentStoreErrorCode.InvalidSize, 'expected size must be a non-negative integer', {
        expectedSize,
      });
    }
    this.assertInitialized();
    if (options.pin) this.pin(sha256Hex);
    try {
      const result = await this.acquire(sha256Hex, expectedSize, fetch);
      // A caller that joined someone else's download may have expected another size.
      if (result.bytes !== expectedSize) {
        throw new ContentMismatchError(
          { sha256: sha256Hex, size: expectedSize },
          { sha256: sha256Hex, size: result.bytes },
        );
      }
      return result;
    } catch (error) {
      if (options.pin) this.unpin(sha256Hex);
      throw error;
    }
  }

  /** Protects an object from eviction; counted, so every `pin` needs one `unpin`. */
  pin(sha256Hex: string): void {
    assertDigest(sha256Hex);
    this.pins.set(sha256Hex, (this.pins.get(sha256Hex) ?? 0) + 1);
  }

  unpin(sha256Hex: string): void {
    assertDigest(sha256Hex);
    const count = this.pins.get(sha256Hex) ?? 0;
    if (count === 0) {
      throw new ContentStoreError(ContentStoreErrorCode.NotPinned, 'unpin without a matching pin', {
        sha256: sha256Hex,
      });
    }
    if (count === 1) this.pins.delete(sha256Hex);
    else this.pins.set(sha256Hex, count - 1);
  }

  /** Evicts down to the budget now (e.g. after a materialize unpinned its objects). */
  async trim(): Promise<number> {
    this.assertInitialized();
    return this.evictToFit();
  }

  stats(): ContentStoreStats {
    return {
      entries: this.index.size,
      bytes: this.totalBytes,
      downloads: this.downloads,
      hits: this.hits,
      evictions: this.evictions,
    };
  }

  private async acquire(
    sha: string,
    expectedSize: number,
    fetch: () => Promise<ContentSource>,
  ): Promise<EnsureResult> {
    const entry = this.index.get(sha);
    if (entry && (await this.touch(sha, entry))) {
      this.hits++;
      return { path: this.pathOf(sha), downloaded: false, bytes: entry.size };
    }
    // From here to `set` nothing awaits, so concurrent callers cannot both start a download.
    let flight = this.inflight.get(sha);
    if (!flight) {
      flight = this.fill(sha, expectedSize, fetch).finally(() => this.inflight.delete(sha));
      this.inflight.set(sha, flight);
    }
    return flight;
  }

  /**
   * Marks an entry most recently used, in memory and on disk (for the next `init`).
   * Returns false when the file has vanished from under us, after forgetting it.
   */
  private async touch(sha: string, entry: Entry): Promise<boolean> {
    this.index.delete(sha);
    this.index.set(sha, entry);
    const now = new Date();
    try {
      await utimes(this.pathOf(sha), now, now);
      return true;
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
      if (this.index.get(sha) === entry) {
        this.index.delete(sha);
        this.totalBytes -= entry.size;
      }
      return false;
    }
  }

  private async fill(
    sha: string,
    expectedSize: number,
    fetch: () => Promise<ContentSource>,
  ): Promise<EnsureResult> {
    const finalPath = this.pathOf(sha);
    await this.evicting.get(sha);

    // Adopt a copy another process renamed into place: verified before it got there.
    const existing = await lstatOrNull(finalPath);
    if (existing?.isFile()) {
      this.hits++;
      this.insert(sha, existing.size);
      return { path: finalPath, downloaded: false, bytes: existing.size };
    }

    const tmpPath = join(this.tmpDir, `${sha}.${process.pid}.${randomBytes(6).toString('hex')}`);
    let placed = false;
    try {
      // Created read-only: the descriptor that creates it may still write, nothing else can,
      // so it is never writable at its final path (and needs no chmod before the rename).
      const handle = await open(tmpPath, 'wx', 0o400);
      let received: { sha256: string; size: number };
      try {
        received = await writeHashed(handle, await fetch(), sha, expectedSize);
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (received.sha256 !== sha || received.size !== expectedSize) {
        throw new ContentMismatchError({ sha256: sha, size: expectedSize }, received);
      }
      const folder = dirname(finalPath);
      if (!this.folders.has(folder)) {
        await mkdir(folder, { recursive: true, mode: 0o700 });
        this.folders.add(folder);
      }
      await this.evicting.get(sha);
      // Atomic on one filesystem; replacing a racing process's identical copy is harmless.
      // The directory is not fsynced: losing the rename in a crash only costs a re-download.
      await rename(tmpPath, finalPath);
      placed = true;
    } finally {
      if (!placed) await rm(tmpPath, { force: true });
    }

    this.downloads++;
    this.insert(sha, expectedSize);
    await this.evictToFit(sha);
    return { path: finalPath, downloaded: true, bytes: expectedSize };
  }

  /** Adds (or refreshes) an entry as most recently used; idempotent for the total. */
  private insert(sha: string, size: number): void {
    const previous = this.index.get(sha);
    if (previous) {
      this.totalBytes -= previous.size;
      this.index.delete(sha);
    }
    this.index.set(sha, { size });
    this.totalBytes += size;
  }

  /**
   * Picks victims synchronously in LRU order (so concurrent passes never pick the same
   * one and the total is always current), then unlinks them. `keep` is the object the
   * caller just inserted and is about to hand out.
   */
  private async evictToFit(keep?: string): Promise<number> {
    const victims: string[] = [];
    for (const [sha, entry] of this.index) {
      if (this.totalBytes <= this.budgetBytes) break;
      if (sha === keep || this.pins.has(sha)) continue;
      this.index.delete(sha);
      this.totalBytes -= entry.size;
      this.evictions++;
      victims.push(sha);
    }
    await Promise.all(victims.map((sha) => this.unlinkObject(sha)));
    return victims.length;
  }

  private async unlinkObject(sha: string): Promise<void> {
    const removal = rm(this.pathOf(sha), { force: true });
    // Waiters only need to know it is over; the error goes to the evicting caller.
    const settled = removal.then(
      () => undefined,
      () => undefined,
    );
    this.evicting.set(sha, settled);
    try {
      await removal;
    } finally {
      if (this.evicting.get(sha) === settled) this.evicting.delete(sha);
    }
  }

  private async removeStaleTemps(): Promise<void> {
    const cutoff = Date.now() - this.staleTempAgeMs;
    for (const name of await readdir(this.tmpDir)) {
      const path = join(this.tmpDir, name);
      const stats = await lstatOrNull(path);
      if (stats && stats.mtimeMs <= cutoff) await rm(path, { recursive: true, force: true });
    }
  }

  /**
   * Objects on disk. Anything that does not sit at its own digest's path is ignored
   * (neither counted nor deleted): the store never removes what it did not write.
   */
  private async scanObjects(): Promise<{ sha: string; size: number; mtimeMs: number }[]> {
    const found: { sha: string; size: number; mtimeMs: number }[] = [];
    for (const first of await readdir(this.objectsDir, { withFileTypes: true })) {
      if (!first.isDirectory() || !FAN_OUT.test(first.name)) continue;
      const firstDir = join(this.objectsDir, first.name);
      for (const second of await readdir(firstDir, { withFileTypes: true })) {
        if (!second.isDirectory() || !FAN_OUT.test(second.name)) continue;
        const secondDir = join(firstDir, second.name);
        for (const file of await readdir(secondDir, { withFileTypes: true })) {
          const name = file.name;
          if (!file.isFile() || !DIGEST.test(name)) continue;
          if (name.slice(0, 2) !== first.name || name.slice(2, 4) !== second.name) continue;
          const stats = await lstatOrNull(join(secondDir, name));
          if (stats?.isFile()) found.push({ sha: name, size: stats.size, mtimeMs: stats.mtimeMs });
        }
      }
    }
    return found;
  }

  private assertInitialized(): void {
    if (!this.initialized) {
      throw new ContentStoreError(ContentStoreErrorCode.NotInitialized, 'call init() before using the content store');
    }
  }
}

function assertDigest(value: string): void {
  if (typeof value !== 'string' || !DIGEST.test(value)) {
    throw new ContentStoreError(ContentStoreErrorCode.InvalidDigest, 'sha256 must be 64 lower-case hex characters', {
      // Bounded: the value may be anything a caller was handed.
      value: String(value).slice(0, 80),
    });
  }
}

/**
 * Streams `source` into `handle` while hashing and counting. Stops reading (which
 * destroys a Node stream) as soon as more than `expectedSize` bytes arrive, so a wrong
 * or hostile source cannot fill the disk.
 */
async function writeHashed(
  handle: FileHandle,
  source: ContentSource,
  expectedSha: string,
  expectedSize: number,
): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (size + bytes.byteLength > expectedSize) {
      throw new ContentMismatchError(
        { sha256: expectedSha, size: expectedSize },
        { sha256: null, size: size + bytes.byteLength },
      );
    }
    hash.update(bytes);
    let written = 0;
    while (written < bytes.byteLength) {
      const { bytesWritten } = await handle.write(bytes, written, bytes.byteLength - written, size + written);
      written += bytesWritten;
    }
    size += bytes.byteLength;
  }
  return { sha256: hash.digest('hex'), size };
}

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return null;
    throw error;
  }
}

// Structural, not `instanceof Error`: errors from node:fs can come from another realm
// (Jest's sandbox, for one), where `instanceof` is false.
function isErrno(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as NodeJS.ErrnoException).code === code;
}

import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { ContentStore, type ContentSource } from './content-store';
import { ContentMismatchError, ContentStoreError, ContentStoreErrorCode } from './content-store.errors';

/** Ten bytes each, so budgets read as object counts. */
const A = Buffer.from('aaaaaaaaaa');
const B = Buffer.from('bbbbbbbbbb');
const C = Buffer.from('cccccccccc');
const D = Buffer.from('dddddddddd');

function sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function* chunks(bytes: Buffer, size = 3, delayMs = 0): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) {
    if (delayMs > 0) await sleep(delayMs);
    yield bytes.subarray(i, i + size);
  }
}

/** A fetch that counts its calls and serves `bytes`. */
function fetcher(bytes: Buffer, delayMs = 0): jest.Mock<Promise<ContentSource>, []> {
  return jest.fn(async () => chunks(bytes, 3, delayMs));
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath ?? e.path, e.name));
}

describe('ContentStore', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'content-store-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function open(budgetBytes = 1_000_000, staleTempAgeMs?: number): Promise<ContentStore> {
    const store = new ContentStore({ root, budgetBytes, staleTempAgeMs });
    await store.init();
    return store;
  }

  async function put(store: ContentStore, bytes: Buffer): Promise<string> {
    return (await store.ensure(sha(bytes), bytes.length, fetcher(bytes))).path;
  }

  async function expectNothingStored(store: ContentStore, digest: string): Promise<void> {
    expect(await store.has(digest)).toBe(false);
    expect(await filesUnder(join(root, 'sha256'))).toEqual([]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect(store.stats()).toMatchObject({ entries: 0, bytes: 0, downloads: 0 });
  }

  it('reads through: content already on the node is not fetched again', async () => {
    const store = await open();
    const fetch = jest.fn(async () => Readable.from([A.subarray(0, 4), A.subarray(4)]));

    const first = await store.ensure(sha(A), A.length, fetch);
    const second = await store.ensure(sha(A), A.length, fetch);

    expect(fetch).toHaveBeenCalledTimes(1);
    expect(first).toEqual({ path: store.pathOf(sha(A)), downloaded: true, bytes: 10 });
    expect(second).toEqual({ path: first.path, downloaded: false, bytes: 10 });
    expect(await readFile(first.path)).toEqual(A);
    expect(first.path).toBe(join(root, 'sha256', sha(A).slice(0, 2), sha(A).slice(2, 4), sha(A)));
    expect(store.stats()).toEqual({ entries: 1, bytes: 10, downloads: 1, hits: 1, evictions: 0 });
  });

  it('rejects bytes that do not hash to the digest and leaves nothing behind', async () => {
    const store = await open();
    const fetch = fetcher(B);

    const error = await store.ensure(sha(A), A.length, fetch).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ContentMismatchError);
    expect(error).toMatchObject({
      code: ContentStoreErrorCode.ContentMismatch,
      expected: { sha256: sha(A), size: 10 },
      actual: { sha256: sha(B), size: 10 },
    });
    await expectNothingStored(store, sha(A));
    // A failure does not poison the digest: the next ensure fetches again.
    await expect(store.ensure(sha(A), A.length, fetcher(A))).resolves.toMatchObject({ downloaded: true });
  });

  it.each([
    ['short', A.length + 1, { sha256: sha(A), size: A.length }],
    ['long', A.length - 1, { sha256: null, size: A.length }],
  ])('rejects a %s body whose size differs from the expected size', async (_kind, expectedSize, actual) => {
    const store = await open();

    const error = await store.ensure(sha(A), expectedSize, fetcher(A)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ContentMismatchError);
    expect(error).toMatchObject({ expected: { sha256: sha(A), size: expectedSize }, actual });
    await expectNothingStored(store, sha(A));
  });

  it('rejects a known object asked for with another size, without fetching', async () => {
    const store = await open();
    await put(store, A);
    const fetch = fetcher(A);

    await expect(store.ensure(sha(A), 11, fetch)).rejects.toBeInstanceOf(ContentMismatchError);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('removes the temp file when the source fails mid-stream and lets the next call retry', async () => {
    const store = await open();
    const failing = jest.fn(async (): Promise<ContentSource> => {
      async function* broken(): AsyncIterable<Uint8Array> {
        yield A.subarray(0, 5);
        throw new Error('connection reset');
      }
      return broken();
    });

    await expect(store.ensure(sha(A), A.length, failing)).rejects.toThrow('connection reset');
    await expectNothingStored(store, sha(A));

    const retry = fetcher(A);
    await expect(store.ensure(sha(A), A.length, retry)).resolves.toMatchObject({ downloaded: true });
    expect(retry).toHaveBeenCalledTimes(1);
  });

  it('shares one download between concurrent ensures of one digest', async () => {
    const store = await open();
    const fetch = fetcher(A, 5);

    const results = await Promise.all([1, 2, 3].map(() => store.ensure(sha(A), A.length, fetch)));

    expect(fetch).toHaveBeenCalledTimes(1);
    expect(new Set(results.map((r) => r.path)).size).toBe(1);
    expect(await readFile(results[0].path)).toEqual(A);
    expect(store.stats()).toMatchObject({ entries: 1, bytes: 10, downloads: 1 });
  });

  it('evicts the least recently used object when over budget; a hit counts as use', async () => {
    const store = await open(30);
    const pathA = await put(store, A);
    const pathB = await put(store, B);
    const pathC = await put(store, C);
    await store.ensure(sha(A), A.length, fetcher(A)); // A is now newer than B

    const pathD = await put(store, D);

    expect(await store.has(sha(B))).toBe(false);
    await expect(stat(pathB)).rejects.toMatchObject({ code: 'ENOENT' });
    for (const path of [pathA, pathC, pathD]) await expect(stat(path)).resolves.toBeDefined();
    expect(store.stats()).toMatchObject({ entries: 3, bytes: 30, evictions: 1 });
  });

  it('rebuilds the use order from mtimes at init', async () => {
    const first = await open();
    const paths = { a: await put(first, A), b: await put(first, B), c: await put(first, C) };
    const at = (minutesAgo: number): Date => new Date(Date.now() - minutesAgo * 60_000);
    await utimes(paths.a, at(1), at(1));
    await utimes(paths.b, at(30), at(30));
    await utimes(paths.c, at(10), at(10));

    const second = await open(30);
    await put(second, D);

    expect(await second.has(sha(B))).toBe(false);
    expect(await second.has(sha(A))).toBe(true);
    expect(await second.has(sha(C))).toBe(true);
  });

  it('never evicts pinned objects', async () => {
    const store = await open(20);
    await put(store, A);
    await put(store, B);
    store.pin(sha(A)); // A is the least recently used, but pinned

    await put(store, C);

    expect(await store.has(sha(A))).toBe(true);
    expect(await store.has(sha(B))).toBe(false);

    store.unpin(sha(A));
    await put(store, D);
    expect(await store.has(sha(A))).toBe(false);
    expect(store.stats()).toMatchObject({ entries: 2, bytes: 20, evictions: 2 });
  });

  it('stays over budget while pins require it and trims once they are released', async () => {
    const store = await open(10);
    await store.ensure(sha(A), A.length, fetcher(A), { pin: true });
    await store.ensure(sha(B), B.length, fetcher(B), { pin: true });

    expect(store.stats()).toMatchObject({ entries: 2, bytes: 20, evictions: 0 });

    store.unpin(sha(A));
    store.unpin(sha(B));
    expect(() => store.unpin(sha(B))).toThrow(ContentStoreError);
    await expect(store.trim()).resolves.toBe(1);
    expect(await store.has(sha(A))).toBe(false);
    expect(await store.has(sha(B))).toBe(true);
  });

  it('releases the pin taken by a failed ensure', async () => {
    const store = await open(10);
    await expect(store.ensure(sha(A), A.length, fetcher(B), { pin: true })).rejects.toBeInstanceOf(
      ContentMismatchError,
    );
    expect(() => store.unpin(sha(A))).toThrow(ContentStoreError);
  });

  it('removes stale temp files and recomputes the total at init', async () => {
    const first = await open();
    await put(first, A);
    await put(first, B);
    const stale = join(root, 'tmp', `${sha(C)}.1.dead`);
    const fresh = join(root, 'tmp', `${sha(D)}.2.live`);
    await writeFile(stale, 'partial');
    await writeFile(fresh, 'partial');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(stale, hourAgo, hourAgo);
    // Not at its digest's path: neither counted nor deleted.
    await writeFile(join(root, 'sha256', 'stray'), 'x');

    const second = await open(1_000_000, 60_000);

    expect(second.stats()).toEqual({ entries: 2, bytes: 20, downloads: 0, hits: 0, evictions: 0 });
    expect(await readdir(join(root, 'tmp'))).toEqual([`${sha(D)}.2.live`]);
    const fetch = fetcher(A);
    await expect(second.ensure(sha(A), A.length, fetch)).resolves.toMatchObject({ downloaded: false });
    expect(fetch).not.toHaveBeenCalled();

    const third = await open(10, 0);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect(third.stats()).toMatchObject({ entries: 1, bytes: 10, evictions: 1 });
  });

  it.each([
    ['path traversal', '../../../../etc/passwd'],
    ['upper case', sha(A).toUpperCase()],
    ['too short', sha(A).slice(1)],
    ['too long', `${sha(A)}0`],
    ['non-hex', 'g'.repeat(64)],
    ['empty', ''],
  ])('rejects an invalid digest (%s) before touching the disk', async (_kind, digest) => {
    const store = await open();
    const fetch = fetcher(A);

    expect(() => store.pathOf(digest)).toThrow(
      expect.objectContaining({ code: ContentStoreErrorCode.InvalidDigest }),
    );
    await expect(store.ensure(digest, A.length, fetch)).rejects.toMatchObject({
      code: ContentStoreErrorCode.InvalidDigest,
    });
    await expect(store.has(digest)).rejects.toBeInstanceOf(ContentStoreError);
    expect(() => store.pin(digest)).toThrow(ContentStoreError);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('makes objects read-only once stored, in private directories', async () => {
    const store = await open();
    const path = await put(store, A);

    expect((await stat(path)).mode & 0o777).toBe(0o400);
    for (const dir of [root, join(root, 'sha256'), join(root, 'tmp')]) {
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
    }
    if (process.getuid?.() !== 0) {
      await expect(writeFile(path, 'corrupt')).rejects.toMatchObject({ code: 'EACCES' });
    }
  });

  it('refuses to work before init', async () => {
    const store = new ContentStore({ root, budgetBytes: 10 });
    await expect(store.ensure(sha(A), A.length, fetcher(A))).rejects.toMatchObject({
      code: ContentStoreErrorCode.NotInitialized,
    });
  });
});

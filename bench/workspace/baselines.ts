/**
 * The workspace benchmark's baselines: the plainest code that moves the same bytes, with
 * the same SDK client settings and the same concurrency as the workspace services. No
 * hashing, no content store, no fsync, no database: what the measured code is compared to.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { copyFile, lstat, mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** Runs `fn` over `items` with at most `limit` in flight (what libs/workspace does with its own helper). */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

export interface ObjectToFetch {
  readonly key: string;
  readonly versionId: string;
  /** Relative path below the target directory. */
  readonly path: string;
}

/** GetObject of each version, streamed into `<dir>/<path>` (folders made as needed). Returns the bytes written. */
export async function plainDownload(s3: S3Client, bucket: string, objects: readonly ObjectToFetch[], dir: string, concurrency: number): Promise<number> {
  let bytes = 0;
  await forEachLimit(objects, concurrency, async (o) => {
    const target = join(dir, o.path);
    await mkdir(dirname(target), { recursive: true });
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.key, VersionId: o.versionId }));
    if (!(out.Body instanceof Readable)) throw new Error(`GetObject ${o.key}: no stream body`);
    await pipeline(out.Body, createWriteStream(target));
    bytes += out.ContentLength ?? 0;
  });
  return bytes;
}

/** `copyFile` of each local file into `<dir>/<path>` (folders made as needed). */
export async function plainCopy(files: ReadonlyArray<{ readonly from: string; readonly path: string }>, dir: string, concurrency: number): Promise<void> {
  await forEachLimit(files, concurrency, async (f) => {
    const target = join(dir, f.path);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(f.from, target);
  });
}

export interface WalkedFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly atimeMs: number;
}

/** A recursive readdir with one `lstat` per file, one at a time (as the workspace scan walks). */
export async function plainWalk(dir: string, prefix = ''): Promise<WalkedFile[]> {
  const out: WalkedFile[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    const absolute = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await plainWalk(absolute, path)));
    else if (entry.isFile()) {
      const stat = await lstat(absolute);
      out.push({ path, size: stat.size, mtimeMs: stat.mtimeMs, atimeMs: stat.atimeMs });
    }
  }
  return out;
}

/** PutObject of each local file, streamed from disk with its length; nothing else. */
export async function plainPuts(s3: S3Client, bucket: string, files: ReadonlyArray<{ readonly key: string; readonly file: string; readonly size: number }>, concurrency: number): Promise<number> {
  let bytes = 0;
  await forEachLimit(files, concurrency, async (f) => {
    const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: f.key, Body: createReadStream(f.file), ContentLength: f.size }));
    if (!out.ETag) throw new Error(`PutObject ${f.key}: no ETag`);
    bytes += f.size;
  });
  return bytes;
}

/** Removes every version (and delete marker) under `prefix`; returns how many. */
export async function deletePrefix(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, MaxKeys: 1000 }));
    const objects = [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key, VersionId: v.VersionId }));
    if (objects.length === 0) return deleted;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
    deleted += objects.length;
  }
}

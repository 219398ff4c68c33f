/**
 * Conformance of the S3 server we run against the guarantees DESIGN.md §3 relies on.
 * A server that fails one of these cannot be the one we ship with.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { loadConfig } from '@case-storage/config';
import { createS3Client } from './s3-client.factory';

const config = loadConfig('tooling', process.env);
const Bucket = config.s3.bucket;
let s3: S3Client;

const sha256b64 = (data: Buffer): string => createHash('sha256').update(data).digest('base64');
const key = (): string => `conformance/${randomUUID()}`;

async function statusOf(work: Promise<unknown>): Promise<number> {
  try {
    await work;
    return 200;
  } catch (err) {
    if (err instanceof S3ServiceException) return err.$metadata.httpStatusCode ?? -1;
    throw err;
  }
}

async function bodyOf(Key: string, VersionId?: string): Promise<string> {
  const out = await s3.send(new GetObjectCommand({ Bucket, Key, VersionId }));
  return out.Body ? out.Body.transformToString() : '';
}

/** Pre-signs a PUT the way the upload API will: these headers are signed, so the browser must send them as-is. */
function presignPut(input: ConstructorParameters<typeof PutObjectCommand>[0], signed: string[]): Promise<string> {
  return getSignedUrl(s3, new PutObjectCommand(input), {
    expiresIn: 300,
    signableHeaders: new Set(signed),
    unhoistableHeaders: new Set(signed.filter((h) => h.startsWith('x-amz-'))),
  });
}

beforeAll(() => {
  s3 = createS3Client(config.s3);
});
afterAll(() => s3.destroy());

describe('S3 server conformance', () => {
  it('keeps the old version when a key is overwritten (versioning)', async () => {
    const Key = key();
    const first = await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'one' }));
    const second = await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'two' }));
    expect(first.VersionId).toBeTruthy();
    expect(second.VersionId).not.toEqual(first.VersionId);
    expect(await bodyOf(Key, first.VersionId)).toBe('one');
    expect(await bodyOf(Key)).toBe('two');
    const versions = await s3.send(new ListObjectVersionsCommand({ Bucket, Prefix: Key }));
    expect(versions.Versions?.map((v) => v.VersionId).sort()).toEqual([first.VersionId, second.VersionId].sort());
  });

  it('refuses If-None-Match: * on an existing key with 412 and keeps the content', async () => {
    const Key = key();
    expect(await statusOf(s3.send(new PutObjectCommand({ Bucket, Key, Body: 'original', IfNoneMatch: '*' })))).toBe(200);
    expect(await statusOf(s3.send(new PutObjectCommand({ Bucket, Key, Body: 'intruder', IfNoneMatch: '*' })))).toBe(412);
    expect(await bodyOf(Key)).toBe('original');
  });

  it('refuses a stale If-Match with 412 and accepts the current ETag', async () => {
    const Key = key();
    const v1 = await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'v1' }));
    const v2 = await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'v2', IfMatch: v1.ETag }));
    expect(await statusOf(s3.send(new PutObjectCommand({ Bucket, Key, Body: 'stale', IfMatch: v1.ETag })))).toBe(412);
    expect(await bodyOf(Key)).toBe('v2');
    expect(await statusOf(s3.send(new PutObjectCommand({ Bucket, Key, Body: 'v3', IfMatch: v2.ETag })))).toBe(200);
    expect(await bodyOf(Key)).toBe('v3');
  });

  it('rejects other bytes on a pre-signed PUT with a signed x-amz-checksum-sha256', async () => {
    const Key = key();
    const good = Buffer.from('the declared bytes');
    const bad = Buffer.from('the declared byteZ');
    const checksum = sha256b64(good);
    const url = await presignPut({ Bucket, Key, ChecksumSHA256: checksum, ContentLength: good.length }, ['content-length', 'x-amz-checksum-sha256']);

    const rejected = await fetch(url, { method: 'PUT', body: bad, headers: { 'x-amz-checksum-sha256': checksum } });
    expect(rejected.status).toBeGreaterThanOrEqual(400);
    expect(rejected.status).toBeLessThan(500);
    expect(await statusOf(s3.send(new HeadObjectCommand({ Bucket, Key })))).toBe(404);

    const accepted = await fetch(url, { method: 'PUT', body: good, headers: { 'x-amz-checksum-sha256': checksum } });
    expect(accepted.status).toBe(200);
    expect(await bodyOf(Key)).toBe(good.toString());
  });

  it('rejects a pre-signed PUT whose checksum header was changed or dropped', async () => {
    const Key = key();
    const body = Buffer.from('signed checksum');
    const url = await presignPut({ Bucket, Key, ChecksumSHA256: sha256b64(body), ContentLength: body.length }, ['content-length', 'x-amz-checksum-sha256']);
    const other = Buffer.from('other bytes, own checksum');
    const swapped = await fetch(url, { method: 'PUT', body: other, headers: { 'x-amz-checksum-sha256': sha256b64(other) } });
    expect(swapped.status).toBe(403);
    const dropped = await fetch(url, { method: 'PUT', body });
    expect(dropped.status).toBe(403);
    expect(await statusOf(s3.send(new HeadObjectCommand({ Bucket, Key })))).toBe(404);
  });

  it('rejects a pre-signed PUT with another Content-Length than the one signed', async () => {
    const Key = key();
    const url = await presignPut({ Bucket, Key, ContentLength: 10 }, ['content-length']);
    const tooLong = await fetch(url, { method: 'PUT', body: Buffer.alloc(11, 1) });
    expect(tooLong.status).toBe(403);
    const exact = await fetch(url, { method: 'PUT', body: Buffer.alloc(10, 1) });
    expect(exact.status).toBe(200);
  });

  it('completes a multipart upload with SHA-256 part checksums and reports a checksum', async () => {
    const Key = key();
    const parts = [Buffer.alloc(5 * 1024 * 1024, 'a'), Buffer.from('tail')];
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: 'SHA256' }));
    const uploaded = [];
    for (const [i, part] of parts.entries()) {
      const out = await s3.send(
        new UploadPartCommand({ Bucket, Key, UploadId: created.UploadId, PartNumber: i + 1, Body: part, ChecksumSHA256: sha256b64(part) }),
      );
      uploaded.push({ PartNumber: i + 1, ETag: out.ETag, ChecksumSHA256: out.ChecksumSHA256 });
    }
    expect(uploaded.map((p) => p.ChecksumSHA256)).toEqual(parts.map(sha256b64));
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket, Key, UploadId: created.UploadId, MultipartUpload: { Parts: uploaded } }),
    );
    expect(done.VersionId).toBeTruthy();
    // A checksum of the part checksums, with the part count: "<base64>-2".
    const partDigests = Buffer.concat(parts.map((p) => createHash('sha256').update(p).digest()));
    expect(done.ChecksumSHA256).toBe(`${sha256b64(partDigests)}-2`);
    expect((await bodyOf(Key)).length).toBe(parts[0].length + parts[1].length);
  });

  it('rejects a multipart part whose bytes do not match its checksum', async () => {
    const Key = key();
    const created = await s3.send(new CreateMultipartUploadCommand({ Bucket, Key, ChecksumAlgorithm: 'SHA256' }));
    const status = await statusOf(
      s3.send(new UploadPartCommand({ Bucket, Key, UploadId: created.UploadId, PartNumber: 1, Body: 'actual', ChecksumSHA256: sha256b64(Buffer.from('declared')) })),
    );
    expect(status).toBe(400);
  });

  it('answers HEAD by version id with size, ETag and SHA-256 checksum', async () => {
    const Key = key();
    const v1 = Buffer.from('first version');
    const put1 = await s3.send(new PutObjectCommand({ Bucket, Key, Body: v1, ChecksumSHA256: sha256b64(v1) }));
    await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'second, longer version' }));
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key, VersionId: put1.VersionId, ChecksumMode: 'ENABLED' }));
    expect(head.VersionId).toBe(put1.VersionId);
    expect(head.ContentLength).toBe(v1.length);
    expect(head.ETag).toBe(put1.ETag);
    expect(head.ChecksumSHA256).toBe(sha256b64(v1));
  });

  it('lets a browser pre-flight and PUT cross-origin, exposing ETag and version id', async () => {
    const Key = key();
    const origin = 'http://localhost:4200';
    const url = await presignPut({ Bucket, Key, ContentType: 'text/plain' }, ['content-type']);
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type,x-amz-checksum-sha256,if-none-match,if-match',
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toMatch(/^(\*|http:\/\/localhost:4200)$/);
    expect(preflight.headers.get('access-control-allow-methods') ?? '').toMatch(/PUT/);

    const put = await fetch(url, { method: 'PUT', body: 'hello', headers: { Origin: origin, 'Content-Type': 'text/plain' } });
    expect(put.status).toBe(200);
    const exposed = (put.headers.get('access-control-expose-headers') ?? '').toLowerCase();
    expect(exposed).toContain('etag');
    expect(exposed).toContain('x-amz-version-id');
  });
});

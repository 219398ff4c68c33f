/** The server-side writes the workspace sync relies on, against the real S3 server. */
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '@case-storage/config';
import { BadDigestError, ObjectStore, PreconditionFailedError } from './object-store';
import { createS3Client } from './s3-client.factory';

const config = loadConfig('tooling', process.env);
let s3: S3Client;
let store: ObjectStore;

const sha256b64 = (data: Buffer): string => createHash('sha256').update(data).digest('base64');
const key = (): string => `object-store-spec/${randomUUID()}`;

async function readAll(source: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString();
}

const put = (k: string, data: Buffer, condition: Parameters<ObjectStore['putObject']>[0]['condition'], sha = sha256b64(data)) =>
  store.putObject({ key: k, body: Readable.from([data]), contentLength: data.length, contentType: 'text/plain', sha256Base64: sha, condition });

beforeAll(() => {
  s3 = createS3Client(config.s3);
  store = new ObjectStore(s3, config);
});
afterAll(() => s3.destroy());

describe('ObjectStore server-side writes', () => {
  it('creates a key once with If-None-Match and refuses a second create', async () => {
    const k = key();
    const first = await put(k, Buffer.from('first'), { ifNoneMatch: '*' });
    expect(first.versionId).toBeTruthy();
    await expect(put(k, Buffer.from('second'), { ifNoneMatch: '*' })).rejects.toBeInstanceOf(PreconditionFailedError);
    const head = await store.headCurrent(k);
    expect(head).toMatchObject({ versionId: first.versionId, etag: first.etag, size: 5, checksumSha256: sha256b64(Buffer.from('first')) });
    expect(await readAll(await store.getVersion(k, first.versionId))).toBe('first');
  });

  it('writes a new version only over the ETag it names', async () => {
    const k = key();
    const v1 = await put(k, Buffer.from('one'), { ifNoneMatch: '*' });
    const v2 = await put(k, Buffer.from('two'), { ifMatch: v1.etag });
    expect(v2.versionId).not.toBe(v1.versionId);
    await expect(put(k, Buffer.from('three'), { ifMatch: v1.etag })).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(await readAll(await store.getVersion(k, v1.versionId))).toBe('one');
    expect((await store.headCurrent(k))?.versionId).toBe(v2.versionId);
  });

  it('refuses bytes that do not match the declared SHA-256 and stores nothing', async () => {
    const k = key();
    await expect(put(k, Buffer.from('actual'), { ifNoneMatch: '*' }, sha256b64(Buffer.from('declared')))).rejects.toBeInstanceOf(BadDigestError);
    expect(await store.headCurrent(k)).toBeNull();
  });
});

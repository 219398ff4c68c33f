/**
 * The upload pipeline end to end over HTTP, against the real PostgreSQL, Redis and S3
 * server: every behaviour of issue #3 and every bad input, each checked to change nothing.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { HeadObjectCommand, ListPartsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AppConfig } from '@case-storage/config';
import { generationKey, manifestKey } from '@case-storage/manifest-cache';
import { createS3Client } from '@case-storage/object-storage';
import { configureApp } from '@case-storage/platform';
import { REDIS } from '@case-storage/redis';
import { createTestDataSource, givenTenantWithCase, mintTestToken, forgeTestToken, tenancyOf, testConfig } from '@case-storage/testing';
import { UploadMaintenanceService } from '@case-storage/uploads';
import type Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { AppModule } from './app/app.module';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const bytes = (size: number, seed: string = randomUUID()): Buffer => {
  const out = Buffer.alloc(size);
  const block = createHash('sha256').update(seed).digest();
  for (let i = 0; i < size; i += block.length) block.copy(out, i);
  return out;
};

interface Api {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field
}

let config: AppConfig;
let app: NestExpressApplication;
let baseUrl: string;
let ds: DataSource;
let s3: S3Client;
let redis: Redis;
let tenantId: string;
let caseId: string;
let otherCaseId: string;
let alice: string;

async function api(method: string, path: string, token: string | null, body?: unknown, rawBody?: string): Promise<Api> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined || rawBody ? { 'content-type': 'application/json' } : {}) },
    body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const entry = (path: string, data: Buffer, extra: Record<string, unknown> = {}) => ({
  path,
  size: data.length,
  sha256: sha256(data),
  contentType: 'application/pdf',
  ...extra,
});

async function put(url: string, headers: Record<string, string>, data: Buffer): Promise<Response> {
  return fetch(url, { method: 'PUT', headers, body: data });
}

/** init → PUT → complete for single-PUT files, as a browser would. */
async function upload(token: string, files: Array<{ path: string; data: Buffer }>, scopeCase = caseId): Promise<Api> {
  const init = await api('POST', `/api/cases/${scopeCase}/files`, token, { files: files.map((f) => entry(f.path, f.data)) });
  expect(init.status).toBe(201);
  const completions = [];
  for (const [i, f] of init.body.files.entries()) {
    const res = await put(f.url, f.headers, files[i].data);
    expect(res.status).toBe(200);
    completions.push({ fileId: f.fileId, uploadId: f.uploadId, etag: res.headers.get('etag'), versionId: res.headers.get('x-amz-version-id') });
  }
  return api('POST', `/api/cases/${scopeCase}/files/complete`, token, { files: completions });
}

/** Reads and writes as the app role inside the test tenant's transaction (RLS applies to every role). */
function sql<T = any>(query: string, params: unknown[] = []): Promise<T[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  return tenancyOf(ds).transactions.run(tenantId, (em) => em.query(query, params));
}

async function counts(): Promise<{ files: number; versions: number; audit: number }> {
  const [row] = await sql(
    `SELECT (SELECT count(*)::int FROM files WHERE case_id = $1) AS files,
            (SELECT count(*)::int FROM file_versions v JOIN files f ON f.id = v.file_id WHERE f.case_id = $1) AS versions,
            (SELECT count(*)::int FROM audit_events WHERE case_id = $1) AS audit`,
    [caseId],
  );
  return row;
}

beforeAll(async () => {
  config = testConfig({
    UPLOAD_MULTIPART_THRESHOLD_BYTES: String(5 * MiB),
    UPLOAD_PART_SIZE_BYTES: String(5 * MiB),
    UPLOAD_MAX_FILE_SIZE_BYTES: String(40 * MiB),
    UPLOAD_MAX_FILES_PER_BATCH: '10',
    UPLOAD_SWEEP_INTERVAL_SECONDS: '3600',
    LOG_LEVEL: 'warn',
  });
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(config)] }).compile();
  app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true });
  configureApp(app, config);
  await app.listen(0, '127.0.0.1');
  baseUrl = await app.getUrl();
  baseUrl = baseUrl.replace('[::1]', '127.0.0.1');
  redis = app.get(REDIS);

  ds = await createTestDataSource();
  s3 = createS3Client(config.s3);
  const given = await givenTenantWithCase(ds);
  tenantId = given.tenant.id;
  caseId = given.case.id;
  const { tenancy } = tenancyOf(ds);
  otherCaseId = randomUUID();
  await tenancy.upsertCase(tenantId, { id: otherCaseId, title: 'Other matter' });
  await tenancy.setCaseMember(tenantId, caseId, 'alice', 'editor');
  await tenancy.setCaseMember(tenantId, otherCaseId, 'alice', 'editor');
  await tenancy.setCaseMember(tenantId, caseId, 'victor', 'viewer');
  alice = await mintTestToken(config, { subject: 'alice', tenantId });
}, 60_000);

afterAll(async () => {
  await app?.close();
  await ds?.destroy();
  s3?.destroy();
});

describe('single-PUT upload', () => {
  it('uploads, verifies and commits a file, with its audit trail and a cache invalidation', async () => {
    await redis.set(manifestKey(tenantId, caseId), 'stale manifest');
    const generation = Number((await redis.get(generationKey(tenantId, caseId))) ?? 0);
    const data = bytes(300_000);
    const done = await upload(alice, [{ path: 'Pleadings/Motion to dismiss.pdf', data }]);

    expect(done.status).toBe(201);
    const [record] = done.body.files;
    expect(record).toMatchObject({ caseId, path: 'Pleadings/Motion to dismiss.pdf', kind: 'original', size: data.length, sha256: sha256(data) });
    expect(record.version).toMatchObject({ number: 1, committedBy: 'alice', verified: true });

    const [row] = await sql(`SELECT status, size::int, content_hash, s3_version_id, object_key FROM file_versions WHERE id = $1`, [record.version.id]);
    expect(row).toMatchObject({ status: 'committed', size: data.length, content_hash: sha256(data), s3_version_id: record.version.s3VersionId });
    expect(row.object_key).toBe(`tenants/${tenantId}/cases/${caseId}/files/${record.id}`);
    const head = await s3.send(new HeadObjectCommand({ Bucket: config.s3.bucket, Key: row.object_key, VersionId: row.s3_version_id }));
    expect(head.ContentLength).toBe(data.length);

    const actions = (await sql(`SELECT action FROM audit_events WHERE file_id = $1 ORDER BY id`, [record.id])).map((r: { action: string }) => r.action);
    expect(actions).toEqual(['upload.initiated', 'file.version.committed']);
    expect(await redis.get(manifestKey(tenantId, caseId))).toBeNull();
    expect(Number(await redis.get(generationKey(tenantId, caseId)))).toBe(generation + 1);
  });

  it('answers a repeated complete with the same records and changes nothing', async () => {
    const data = bytes(1000);
    const init = await api('POST', `/api/cases/${caseId}/files`, alice, { files: [entry('twice.pdf', data)] });
    const [f] = init.body.files;
    const res = await put(f.url, f.headers, data);
    const completion = { files: [{ fileId: f.fileId, etag: res.headers.get('etag'), versionId: res.headers.get('x-amz-version-id') }] };
    const first = await api('POST', `/api/cases/${caseId}/files/complete`, alice, completion);
    const before = await counts();
    const second = await api('POST', `/api/cases/${caseId}/files/complete`, alice, completion);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(await counts()).toEqual(before);
  });

  it('turns an upload to an existing path into its next version, conditioned on the current ETag', async () => {
    const v1 = await upload(alice, [{ path: 'Contracts/lease.pdf', data: bytes(2000) }]);
    const init = await api('POST', `/api/cases/${caseId}/files`, alice, { files: [entry('Contracts/lease.pdf', bytes(10))] });
    expect(init.body.files[0].fileId).toBe(v1.body.files[0].id);
    expect(init.body.files[0].headers['If-Match']).toBe(v1.body.files[0].version.etag);
    expect(init.body.files[0].headers['If-None-Match']).toBeUndefined();

    const v2 = await upload(alice, [{ path: 'Contracts/lease.pdf', data: bytes(3000) }]);
    expect(v2.status).toBe(201);
    expect(v2.body.files[0].version.number).toBe(2);
    expect(v2.body.files[0].size).toBe(3000);
  });

  it('normalises paths to NFC so that both spellings are one file', async () => {
    const decomposed = await upload(alice, [{ path: 'Cafe\u0301/menu.pdf', data: bytes(100) }]);
    const composed = await upload(alice, [{ path: 'Caf\u00e9/menu.pdf', data: bytes(200) }]);
    expect(composed.body.files[0].id).toBe(decomposed.body.files[0].id);
    expect(composed.body.files[0].path).toBe('Caf\u00e9/menu.pdf');
    expect(composed.body.files[0].version.number).toBe(2);
  });
});

describe('multipart upload', () => {
  it('uploads parts with their checksums, completes, then confirms the whole-file SHA-256', async () => {
    const data = bytes(11 * MiB);
    const parts = [0, 1, 2].map((i) => data.subarray(i * 5 * MiB, Math.min((i + 1) * 5 * MiB, data.length)));
    const init = await api('POST', `/api/cases/${caseId}/files`, alice, {
      files: [entry('Discovery/production.pdf', data, { parts: parts.map((p) => ({ sha256: sha256(p) })) })],
    });
    expect(init.status).toBe(201);
    const [f] = init.body.files;
    expect(f.method).toBe('MULTIPART');
    expect(f.parts.map((p: { size: number }) => p.size)).toEqual([5 * MiB, 5 * MiB, MiB]);

    const etags = [];
    for (const [i, part] of f.parts.entries()) {
      const res = await put(part.url, part.headers, parts[i]);
      expect(res.status).toBe(200);
      etags.push({ partNumber: part.partNumber, etag: res.headers.get('etag') });
    }
    const done = await api('POST', `/api/cases/${caseId}/files/complete`, alice, { files: [{ fileId: f.fileId, uploadId: f.uploadId, parts: etags }] });
    expect(done.status).toBe(201);
    expect(done.body.files[0]).toMatchObject({ size: data.length, sha256: sha256(data), version: { number: 1 } });

    // The verification job reads the object once; wait for it (bounded).
    const deadline = Date.now() + 20_000;
    let verifiedAt: Date | null = null;
    while (!verifiedAt && Date.now() < deadline) {
      [{ verified_at: verifiedAt }] = await sql(`SELECT verified_at FROM file_versions WHERE id = $1`, [f.uploadId]);
      if (!verifiedAt) await new Promise((r) => setTimeout(r, 200));
    }
    expect(verifiedAt).not.toBeNull();

    const again = await api('POST', `/api/cases/${caseId}/files/complete`, alice, { files: [{ fileId: f.fileId, uploadId: f.uploadId, parts: etags }] });
    expect(again.status).toBe(201);
    expect(again.body.files[0].version.id).toBe(f.uploadId);
  });

  it('refuses a part list that does not match the upload', async () => {
    const data = bytes(6 * MiB);
    const parts = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB)];
    const init = await api('POST', `/api/cases/${caseId}/files`, alice, {
      files: [entry('Discovery/short.pdf', data, { parts: parts.map((p) => ({ sha256: sha256(p) })) })],
    });
    const [f] = init.body.files;
    const res = await api('POST', `/api/cases/${caseId}/files/complete`, alice, {
      files: [{ fileId: f.fileId, uploadId: f.uploadId, parts: [{ partNumber: 1, etag: '"x"' }] }],
    });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('INVALID_PARTS');
  });

  it('aborts a pending multipart upload in the database and in storage, idempotently', async () => {
    const data = bytes(6 * MiB);
    const parts = [data.subarray(0, 5 * MiB), data.subarray(5 * MiB)];
    const init = await api('POST', `/api/cases/${caseId}/files`, alice, {
      files: [entry('Drafts/abandoned.pdf', data, { parts: parts.map((p) => ({ sha256: sha256(p) })) })],
    });
    const [f] = init.body.files;
    const [{ upload_id: storageUploadId, object_key: key }] = await sql(`SELECT upload_id, object_key FROM file_versions WHERE id = $1`, [f.uploadId]);

    expect((await api('DELETE', `/api/cases/${caseId}/uploads/${f.uploadId}`, alice)).status).toBe(204);
    expect((await api('DELETE', `/api/cases/${caseId}/uploads/${f.uploadId}`, alice)).status).toBe(204);
    const [row] = await sql(`SELECT v.status, f.deleted_at FROM file_versions v JOIN files f ON f.id = v.file_id WHERE v.id = $1`, [f.uploadId]);
    expect(row.status).toBe('failed');
    expect(row.deleted_at).not.toBeNull();
    await expect(s3.send(new ListPartsCommand({ Bucket: config.s3.bucket, Key: key, UploadId: storageUploadId }))).rejects.toThrow();

    const late = await api('POST', `/api/cases/${caseId}/files/complete`, alice, { files: [{ fileId: f.fileId, uploadId: f.uploadId, parts: [{ partNumber: 1, etag: '"x"' }, { partNumber: 2, etag: '"y"' }] }] });
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('UPLOAD_NOT_PENDING');
  });
});

describe('concurrent writers of one path', () => {
  it('lets exactly one of two new versions win; storage refuses the other and nothing is overwritten', async () => {
    await upload(alice, [{ path: 'Race/brief.pdf', data: bytes(500) }]);
    const a = bytes(700, 'writer-a');
    const b = bytes(700, 'writer-b');
    const [initA, initB] = await Promise.all([
      api('POST', `/api/cases/${caseId}/files`, alice, { files: [entry('Race/brief.pdf', a)] }),
      api('POST', `/api/cases/${caseId}/files`, alice, { files: [entry('Race/brief.pdf', b)] }),
    ]);
    const [putA, putB] = await Promise.all([
      put(initA.body.files[0].url, initA.body.files[0].headers, a),
      put(initB.body.files[0].url, initB.body.files[0].headers, b),
    ]);
    expect([putA.status, putB.status].sort()).toEqual([200, 412]);
    const [winner, winnerData, winnerInit] = putA.status === 200 ? [putA, a, initA] : [putB, b, initB];
    const done = await api('POST', `/api/cases/${caseId}/files/complete`, alice, {
      files: [{ fileId: winnerInit.body.files[0].fileId, etag: winner.headers.get('etag'), versionId: winner.headers.get('x-amz-version-id') }],
    });
    expect(done.status).toBe(201);
    expect(done.body.files[0]).toMatchObject({ sha256: sha256(winnerData), version: { number: 2 } });
  });

  it('refuses to commit an upload whose base version is no longer current (the check behind storage\'s If-Match)', async () => {
    await upload(alice, [{ path: 'Race/same.pdf', data: bytes(500) }]);
    const data = bytes(800, 'same bytes from two tabs');
    const inits = await Promise.all([0, 1].map(() => api('POST', `/api/cases/${caseId}/files`, alice, { files: [entry('Race/same.pdf', data)] })));
    // Storage's If-Match lets one PUT through; the other tab's bytes arrive some other way
    // (a misbehaving proxy, a replayed request): the commit must still let only one win.
    const first = await put(inits[0].body.files[0].url, inits[0].body.files[0].headers, data);
    expect(first.status).toBe(200);
    const key = `tenants/${tenantId}/cases/${caseId}/files/${inits[1].body.files[0].fileId}`;
    const second = await s3.send(
      new PutObjectCommand({ Bucket: config.s3.bucket, Key: key, Body: data, ChecksumSHA256: createHash('sha256').update(data).digest('base64') }),
    );
    const stored = [
      { etag: first.headers.get('etag'), versionId: first.headers.get('x-amz-version-id') },
      { etag: second.ETag, versionId: second.VersionId },
    ];
    const results = await Promise.all(
      inits.map((init, i) =>
        api('POST', `/api/cases/${caseId}/files/complete`, alice, {
          files: [{ fileId: init.body.files[0].fileId, uploadId: init.body.files[0].uploadId, ...stored[i] }],
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(results.find((r) => r.status === 409)?.body.code).toBe('VERSION_CONFLICT');
    const [{ n }] = await sql(`SELECT count(*)::int AS n FROM file_versions WHERE file_id = $1 AND status = 'committed'`, [inits[0].body.files[0].fileId]);
    expect(n).toBe(2);
  });
});

describe('bad input to init changes nothing', () => {
  const ok = () => entry('fine.pdf', bytes(10));
  const cases: Array<[string, () => unknown, number, string]> = [
    ['an empty batch', () => ({ files: [] }), 400, 'EMPTY_BATCH'],
    ['too many files', () => ({ files: Array.from({ length: 11 }, (_, i) => entry(`f${i}.pdf`, bytes(10))) }), 400, 'TOO_MANY_FILES'],
    ['an empty path', () => ({ files: [{ ...ok(), path: '' }] }), 400, 'INVALID_PATH'],
    ['an absolute path', () => ({ files: [{ ...ok(), path: '/etc/passwd' }] }), 400, 'INVALID_PATH'],
    ['a .. segment', () => ({ files: [{ ...ok(), path: 'a/../../b.pdf' }] }), 400, 'INVALID_PATH'],
    ['a backslash', () => ({ files: [{ ...ok(), path: 'a\\b.pdf' }] }), 400, 'INVALID_PATH'],
    ['a NUL', () => ({ files: [{ ...ok(), path: 'a\u0000b.pdf' }] }), 400, 'INVALID_PATH'],
    ['a control character', () => ({ files: [{ ...ok(), path: 'bell\u0007.pdf' }] }), 400, 'INVALID_PATH'],
    ['an empty segment', () => ({ files: [{ ...ok(), path: 'a//b.pdf' }] }), 400, 'INVALID_PATH'],
    ['a path over 1024 bytes', () => ({ files: [{ ...ok(), path: `${'d'.repeat(200)}/`.repeat(6) + 'x.pdf' }] }), 400, 'INVALID_PATH'],
    ['a bidi override', () => ({ files: [{ ...ok(), path: 'invoice\u202efdp.exe' }] }), 400, 'INVALID_PATH'],
    ['two paths equal after NFC', () => ({ files: [entry('Cafe\u0301.pdf', bytes(5)), entry('Caf\u00e9.pdf', bytes(6))] }), 400, 'PATH_COLLISION'],
    ['a file that is another entry\'s folder', () => ({ files: [entry('Exhibits', bytes(5)), entry('Exhibits/a.pdf', bytes(6))] }), 400, 'PATH_COLLISION'],
    ['a zero size', () => ({ files: [{ ...ok(), size: 0 }] }), 400, 'INVALID_SIZE'],
    ['a negative size', () => ({ files: [{ ...ok(), size: -5 }] }), 400, 'INVALID_SIZE'],
    ['a fractional size', () => ({ files: [{ ...ok(), size: 1.5 }] }), 400, 'INVALID_SIZE'],
    ['a size as a string', () => ({ files: [{ ...ok(), size: '10' }] }), 400, 'INVALID_SIZE'],
    ['a size above the maximum', () => ({ files: [{ ...ok(), size: 41 * MiB }] }), 400, 'FILE_TOO_LARGE'],
    ['a content type outside the allow-list', () => ({ files: [{ ...ok(), contentType: 'application/x-msdownload' }] }), 400, 'CONTENT_TYPE_NOT_ALLOWED'],
    ['a content type with a header injection', () => ({ files: [{ ...ok(), contentType: 'application/pdf\r\nx-amz-acl: public-read' }] }), 400, 'CONTENT_TYPE_NOT_ALLOWED'],
    ['a malformed SHA-256', () => ({ files: [{ ...ok(), sha256: 'abc' }] }), 400, 'INVALID_SHA256'],
    ['a base64 SHA-256', () => ({ files: [{ ...ok(), sha256: createHash('sha256').update('x').digest('base64') }] }), 400, 'INVALID_SHA256'],
    ['parts on a small file', () => ({ files: [{ ...ok(), parts: [{ sha256: sha256(bytes(1)) }] }] }), 400, 'INVALID_PARTS'],
    ['a large file without parts', () => ({ files: [{ ...ok(), size: 6 * MiB }] }), 400, 'INVALID_PARTS'],
    ['an unknown field', () => ({ files: [{ ...ok(), acl: 'public-read' }] }), 400, 'VALIDATION_FAILED'],
    ['no files field', () => ({}), 400, 'VALIDATION_FAILED'],
  ];

  it.each(cases)('refuses %s', async (_what, body, status, code) => {
    const before = await counts();
    const res = await api('POST', `/api/cases/${caseId}/files`, alice, body());
    expect([res.status, res.body.code]).toEqual([status, code]);
    expect(res.body.message).toEqual(expect.any(String));
    expect(res.body.requestId).toEqual(expect.any(String));
    expect(await counts()).toEqual(before);
  });

  it('reports every bad entry of a batch at once', async () => {
    const res = await api('POST', `/api/cases/${caseId}/files`, alice, { files: [{ ...ok(), path: '' }, ok(), { ...ok(), path: 'b.pdf', size: 0 }] });
    expect(res.status).toBe(400);
    expect(res.body.details.errors.map((e: { index: number; code: string }) => [e.index, e.code])).toEqual([
      [0, 'INVALID_PATH'],
      [2, 'INVALID_SIZE'],
    ]);
  });

  it('refuses a path that clashes with an existing file or folder', async () => {
    await upload(alice, [{ path: 'Clash/existing.pdf', data: bytes(10) }]);
    const before = await counts();
    const asFile = await api('POST', `/api/cases/${caseId}/files`, alice, { files: [entry('Clash', bytes(10))] });
    const under = await api('POST', `/api/cases/${caseId}/files`, alice, { files: [entry('Clash/existing.pdf/inner.pdf', bytes(10))] });
    expect([asFile.status, asFile.body.code]).toEqual([409, 'PATH_CONFLICT']);
    expect([under.status, under.body.code]).toEqual([409, 'PATH_CONFLICT']);
    expect(await counts()).toEqual(before);
  });

  it('refuses malformed JSON and a malformed case id', async () => {
    const json = await api('POST', `/api/cases/${caseId}/files`, alice, undefined, '{"files": [');
    expect([json.status, json.body.code]).toEqual([400, 'MALFORMED_JSON']);
    const id = await api('POST', `/api/cases/not-a-uuid/files`, alice, { files: [ok()] });
    expect([id.status, id.body.code]).toEqual([400, 'INVALID_ID']);
  });
});

describe('who may upload', () => {
  it('refuses a missing, forged or expired token with 401', async () => {
    const before = await counts();
    const body = { files: [entry('x.pdf', bytes(10))] };
    expect((await api('POST', `/api/cases/${caseId}/files`, null, body)).body.code).toBe('MISSING_TOKEN');
    const forged = await forgeTestToken(config, { subject: 'alice', tenantId }, { secret: 'x'.repeat(48) });
    expect((await api('POST', `/api/cases/${caseId}/files`, forged, body)).status).toBe(401);
    const expired = await forgeTestToken(config, { subject: 'alice', tenantId }, { expiresAt: Math.floor(Date.now() / 1000) - 3600 });
    expect((await api('POST', `/api/cases/${caseId}/files`, expired, body)).body.code).toBe('TOKEN_EXPIRED');
    expect(await counts()).toEqual(before);
  });

  it('answers 404 for another tenant\'s case and for a non-member, 403 for a viewer', async () => {
    const before = await counts();
    const body = { files: [entry('x.pdf', bytes(10))] };
    const stranger = await mintTestToken(config, { subject: 'alice', tenantId: randomUUID() });
    const outsider = await mintTestToken(config, { subject: 'mallory', tenantId });
    const viewer = await mintTestToken(config, { subject: 'victor', tenantId });
    expect([(await api('POST', `/api/cases/${caseId}/files`, stranger, body)).status]).toEqual([404]);
    expect((await api('POST', `/api/cases/${caseId}/files`, outsider, body)).body.code).toBe('CASE_NOT_FOUND');
    expect((await api('POST', `/api/cases/${caseId}/files`, viewer, body)).body.code).toBe('INSUFFICIENT_CASE_ROLE');
    expect(await counts()).toEqual(before);
  });
});

describe('bad input to complete commits nothing', () => {
  async function initAndPut(path: string, data: Buffer) {
    const init = await api('POST', `/api/cases/${caseId}/files`, alice, { files: [entry(path, data)] });
    const f = init.body.files[0];
    const res = await put(f.url, f.headers, data);
    return { f, etag: res.headers.get('etag') as string, versionId: res.headers.get('x-amz-version-id') as string };
  }
  async function expectRefused(files: unknown[], status: number, code: string) {
    const before = await counts();
    await redis.set(manifestKey(tenantId, caseId), 'cached');
    const res = await api('POST', `/api/cases/${caseId}/files/complete`, alice, { files });
    expect([res.status, res.body.code]).toEqual([status, code]);
    expect(await counts()).toEqual(before);
    expect(await redis.get(manifestKey(tenantId, caseId))).toBe('cached');
  }

  it('refuses a wrong ETag', async () => {
    const { f, versionId } = await initAndPut('bad/etag.pdf', bytes(100));
    await expectRefused([{ fileId: f.fileId, etag: '"0123456789abcdef0123456789abcdef"', versionId }], 422, 'ETAG_MISMATCH');
  });

  it('refuses a version id that is not the one uploaded', async () => {
    const { f, etag } = await initAndPut('bad/version.pdf', bytes(100));
    const other = await initAndPut('bad/other.pdf', bytes(100));
    await expectRefused([{ fileId: f.fileId, etag, versionId: other.versionId }], 409, 'NOT_UPLOADED');
  });

  it('refuses a file that was never uploaded', async () => {
    const init = await api('POST', `/api/cases/${caseId}/files`, alice, { files: [entry('bad/never.pdf', bytes(100))] });
    await expectRefused([{ fileId: init.body.files[0].fileId, etag: '"abc"', versionId: 'no-such-version' }], 409, 'NOT_UPLOADED');
  });

  it('refuses stored bytes whose size or checksum differ from what was declared', async () => {
    const declared = bytes(100);
    const init = await api('POST', `/api/cases/${caseId}/files`, alice, { files: [entry('bad/bytes.pdf', declared), entry('bad/size.pdf', declared)] });
    const [sameSize, otherSize] = init.body.files;
    const key = (fileId: string) => `tenants/${tenantId}/cases/${caseId}/files/${fileId}`;
    // Bytes that reached storage some other way than our pre-signed URL.
    const wrong = await s3.send(new PutObjectCommand({ Bucket: config.s3.bucket, Key: key(sameSize.fileId), Body: bytes(100) }));
    await expectRefused([{ fileId: sameSize.fileId, etag: wrong.ETag, versionId: wrong.VersionId }], 422, 'CHECKSUM_MISMATCH');
    const longer = await s3.send(new PutObjectCommand({ Bucket: config.s3.bucket, Key: key(otherSize.fileId), Body: bytes(150) }));
    await expectRefused([{ fileId: otherSize.fileId, etag: longer.ETag, versionId: longer.VersionId }], 422, 'SIZE_MISMATCH');
  });

  it('refuses a file of another case or another tenant', async () => {
    const { f, etag, versionId } = await initAndPut('bad/elsewhere.pdf', bytes(100));
    const res = await api('POST', `/api/cases/${otherCaseId}/files/complete`, alice, { files: [{ fileId: f.fileId, etag, versionId }] });
    expect([res.status, res.body.code]).toEqual([404, 'UPLOAD_NOT_FOUND']);
    const stranger = await mintTestToken(config, { subject: 'alice', tenantId: randomUUID() });
    const cross = await api('POST', `/api/cases/${caseId}/files/complete`, stranger, { files: [{ fileId: f.fileId, etag, versionId }] });
    expect([cross.status, cross.body.code]).toEqual([404, 'CASE_NOT_FOUND']);
    const [{ status }] = await sql(`SELECT status FROM file_versions WHERE id = $1`, [f.uploadId]);
    expect(status).toBe('pending');
  });

  it('commits nothing when one file of a batch fails', async () => {
    const good = await initAndPut('bad/batch-good.pdf', bytes(100));
    const bad = await initAndPut('bad/batch-bad.pdf', bytes(100));
    await expectRefused(
      [
        { fileId: good.f.fileId, etag: good.etag, versionId: good.versionId },
        { fileId: bad.f.fileId, etag: '"ffffffffffffffffffffffffffffffff"', versionId: bad.versionId },
      ],
      422,
      'ETAG_MISMATCH',
    );
  });
});

describe('expiry sweeper', () => {
  it('expires abandoned uploads of every tenant, frees their paths and aborts multipart uploads', async () => {
    const init = await api('POST', `/api/cases/${caseId}/files`, alice, { files: [entry('Old/forgotten.pdf', bytes(100))] });
    const [f] = init.body.files;
    await sql(`UPDATE file_versions SET expires_at = now() - interval '1 minute' WHERE id = $1`, [f.uploadId]);

    const sweeper = app.get(UploadMaintenanceService);
    const first = await sweeper.sweepExpired(1000);
    expect(first.expired).toBeGreaterThanOrEqual(1);
    const [row] = await sql(`SELECT v.status, f.deleted_at FROM file_versions v JOIN files f ON f.id = v.file_id WHERE v.id = $1`, [f.uploadId]);
    expect(row.status).toBe('expired');
    expect(row.deleted_at).not.toBeNull();
    const again = await sweeper.sweepExpired(1000);
    expect(again.expired).toBe(0);

    // The path is free again for a new upload.
    const reuse = await upload(alice, [{ path: 'Old/forgotten.pdf', data: bytes(50) }]);
    expect(reuse.status).toBe(201);
    expect(reuse.body.files[0].id).not.toBe(f.fileId);
  });
});

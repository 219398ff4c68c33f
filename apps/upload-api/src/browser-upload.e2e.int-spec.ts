/**
 * The upload flow end to end in a real headless Chromium, as a lawyer's browser runs it
 * (DESIGN.md §3, §4 Upload; the contract in libs/uploads/README.md): a page on another
 * origin than the API makes files in memory, hashes them incrementally (streaming SHA-256
 * over Blob slices, whole file and every part in one pass), calls init with a bearer
 * token (CORS), PUTs the bytes straight to the S3 server with exactly the returned
 * headers, reads ETag and version id (exposed by the bucket's CORS), and calls complete.
 * The test then checks what PostgreSQL committed and what object storage holds.
 *
 * Needs /usr/bin/chromium (`scripts/services/chromium.sh ensure`), the built upload-api
 * (`npx nx build upload-api`) and the services (`scripts/services.sh start`).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, normalize, sep } from 'node:path';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AppConfig } from '@case-storage/config';
import { createS3Client } from '@case-storage/object-storage';
import {
  aSubject,
  createTestDataSource,
  givenTenantWithCase,
  migrateTestDatabase,
  mintTestToken,
  RunningApp,
  startBuiltApp,
  tenancyOf,
  testConfig,
  waitForStatus,
} from '@case-storage/testing';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { DataSource } from 'typeorm';

const CHROMIUM = '/usr/bin/chromium';
const MIB = 1024 * 1024;
const PART_SIZE = 5 * MIB;

/** Odd sizes on purpose: the last part is short and nothing lines up with the hash chunks. */
const FILES: readonly PageFileSpec[] = [
  { path: 'Pleadings/browser-motion.pdf', size: 3 * MIB + 321, contentType: 'application/pdf' },
  { path: 'Exhibits/browser-exhibit-11mib.pdf', size: 11 * MIB + 7, contentType: 'application/pdf' },
];

// ---------------------------------------------------------------------------------------
// What runs inside the page. `uploadInPage` is serialised by Playwright and evaluated in
// the page, so it may use only browser globals and its argument: no imports, no closures.
// The hasher comes from @noble/hashes' own ESM build, loaded by the page (see PAGE_HTML).
// ---------------------------------------------------------------------------------------

interface PageFileSpec {
  readonly path: string;
  readonly size: number;
  readonly contentType: string;
}

interface PageInput {
  readonly apiUrl: string;
  readonly token: string;
  readonly caseId: string;
  readonly files: readonly PageFileSpec[];
  /** Bytes read from the Blob per step of the streaming hash. */
  readonly hashChunkBytes: number;
}

interface PageFileResult {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly partSha256: readonly string[];
  readonly method: string;
  readonly partSizes: readonly number[];
  /** Per PUT: status, ETag and x-amz-version-id as the page could read them. */
  readonly puts: readonly { readonly status: number; readonly etag: string | null; readonly versionId: string | null }[];
}

type PageResult =
  | {
      readonly ok: true;
      readonly policy: { readonly multipartThreshold: number; readonly partSize: number };
      readonly files: readonly PageFileResult[];
      readonly completeStatus: number;
      readonly complete: { readonly files: readonly CommittedRecord[] };
    }
  | { readonly ok: false; readonly error: string };

interface CommittedRecord {
  readonly id: string;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly version: { readonly id: string; readonly number: number; readonly s3VersionId: string; readonly etag: string };
}

/** The streaming SHA-256 the page exposes (noble's `sha256.create()`). */
interface PageHasher {
  update(data: Uint8Array): PageHasher;
  digest(): Uint8Array;
}

/* istanbul ignore next: runs in the browser, must not carry coverage counters */
async function uploadInPage(input: PageInput): Promise<PageResult> {
  const page = globalThis as unknown as { caseStorageSha256: { create(): PageHasher } };
  const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  const auth = { authorization: `Bearer ${input.token}` };

  async function api<T>(path: string, body?: unknown): Promise<{ status: number; json: T }> {
    const res = await fetch(input.apiUrl + path, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? auth : { ...auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${body === undefined ? 'GET' : 'POST'} ${path} answered ${res.status}: ${text}`);
    return { status: res.status, json: JSON.parse(text) as T };
  }

  /** A file as a user picks it: a Blob of random bytes (getRandomValues gives 64 KiB per call). */
  function makeFile(size: number, contentType: string): Blob {
    const pieces: Uint8Array[] = [];
    for (let made = 0; made < size; ) {
      const piece = new Uint8Array(Math.min(1024 * 1024, size - made));
      for (let o = 0; o < piece.length; o += 65536) crypto.getRandomValues(piece.subarray(o, o + 65536));
      pieces.push(piece);
      made += piece.length;
    }
    return new Blob(pieces, { type: contentType });
  }

  /**
   * One pass over the Blob, `hashChunkBytes` at a time: feeds the whole-file hasher and the
   * current part's hasher, so no step ever holds more than one chunk in memory.
   */
  async function hashFile(blob: Blob, partSize: number | null): Promise<{ sha256: string; parts: string[] }> {
    const whole = page.caseStorageSha256.create();
    const parts: string[] = [];
    let part = partSize === null ? null : page.caseStorageSha256.create();
    let partFill = 0;
    for (let offset = 0; offset < blob.size; offset += input.hashChunkBytes) {
      const chunk = new Uint8Array(await blob.slice(offset, offset + input.hashChunkBytes).arrayBuffer());
      whole.update(chunk);
      if (part === null || partSize === null) continue;
      for (let at = 0; at < chunk.length; ) {
        const take = Math.min(partSize - partFill, chunk.length - at);
        part.update(chunk.subarray(at, at + take));
        partFill += take;
        at += take;
        if (partFill === partSize) {
          parts.push(hex(part.digest()));
          part = page.caseStorageSha256.create();
          partFill = 0;
        }
      }
    }
    if (part !== null && partFill > 0) parts.push(hex(part.digest()));
    return { sha256: hex(whole.digest()), parts };
  }

  /** PUT to storage with exactly the returned headers, less Content-Length (the browser sets it). */
  async function put(url: string, headers: Record<string, string>, body: Blob): Promise<PageFileResult['puts'][number]> {
    const sent = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length'));
    const res = await fetch(url, { method: 'PUT', headers: sent, body });
    // Read the (empty) body either way, so the request ends instead of being aborted.
    const text = await res.text();
    if (!res.ok) throw new Error(`PUT ${new URL(url).pathname} answered ${res.status}: ${text}`);
    return { status: res.status, etag: res.headers.get('etag'), versionId: res.headers.get('x-amz-version-id') };
  }

  type Target =
    | { fileId: string; uploadId: string; path: string; method: 'PUT'; url: string; headers: Record<string, string> }
    | {
        fileId: string;
        uploadId: string;
        path: string;
        method: 'MULTIPART';
        parts: { partNumber: number; size: number; url: string; headers: Record<string, string> }[];
      };

  try {
    const policy = (await api<{ multipartThreshold: number; partSize: number }>('/api/uploads/policy')).json;
    const blobs = input.files.map((f) => makeFile(f.size, f.contentType));
    const hashes: { sha256: string; parts: string[] }[] = [];
    for (const [i, blob] of blobs.entries()) {
      const t0 = performance.now();
      hashes.push(await hashFile(blob, blob.size > policy.multipartThreshold ? policy.partSize : null));
      console.log(`hashed ${input.files[i].path} (${blob.size} bytes) in ${Math.round(performance.now() - t0)} ms`);
    }

    const init = await api<{ files: Target[] }>(`/api/cases/${input.caseId}/files`, {
      files: input.files.map((f, i) => ({
        path: f.path,
        size: f.size,
        sha256: hashes[i].sha256,
        contentType: f.contentType,
        ...(hashes[i].parts.length > 0 ? { parts: hashes[i].parts.map((sha256) => ({ sha256 })) } : {}),
      })),
    });

    const files: PageFileResult[] = [];
    const completions = [];
    for (const [i, target] of init.json.files.entries()) {
      const blob = blobs[i];
      const base = { path: target.path, size: blob.size, sha256: hashes[i].sha256, partSha256: hashes[i].parts, method: target.method };
      if (target.method === 'PUT') {
        const result = await put(target.url, target.headers, blob);
        files.push({ ...base, partSizes: [], puts: [result] });
        completions.push({ fileId: target.fileId, uploadId: target.uploadId, etag: result.etag, versionId: result.versionId });
      } else {
        const puts: PageFileResult['puts'][number][] = [];
        let offset = 0;
        for (const part of target.parts) {
          puts.push(await put(part.url, part.headers, blob.slice(offset, offset + part.size)));
          offset += part.size;
        }
        files.push({ ...base, partSizes: target.parts.map((p) => p.size), puts });
        completions.push({
          fileId: target.fileId,
          uploadId: target.uploadId,
          parts: target.parts.map((p, n) => ({ partNumber: p.partNumber, etag: puts[n].etag })),
        });
      }
      console.log(`uploaded ${target.path} (${target.method})`);
    }

    const complete = await api<{ files: CommittedRecord[] }>(`/api/cases/${input.caseId}/files/complete`, { files: completions });
    return { ok: true, policy, files, completeStatus: complete.status, complete: complete.json };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}

// ---------------------------------------------------------------------------------------
// The test side: a page server on its own origin, the API process, the browser.
// ---------------------------------------------------------------------------------------

/** @noble/hashes' ESM build, served as-is; its one bare import is mapped for the browser. */
const NOBLE_ESM_DIR = join(dirname(require.resolve('@noble/hashes/sha2')), 'esm');
const PAGE_HTML = `<!doctype html>
<html>
<head>
<meta charset="utf-8">
<title>Case Storage browser upload</title>
<script type="importmap">{ "imports": { "@noble/hashes/crypto": "/vendor/noble-hashes/crypto.js" } }</script>
<script type="module">
  import { sha256 } from '/vendor/noble-hashes/sha2.js';
  globalThis.caseStorageSha256 = sha256;
  document.getElementById('status').textContent = 'ready';
</script>
</head>
<body><p id="status">loading</p></body>
</html>`;

/** Serves the page and noble's ESM files (nothing else, no path outside that folder). */
function startPageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://page.invalid').pathname;
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE_HTML);
      return;
    }
    if (path === '/favicon.ico') {
      // Keeps the browser's automatic request out of the page log.
      res.writeHead(204).end();
      return;
    }
    const vendor = '/vendor/noble-hashes/';
    const file = path.startsWith(vendor) ? normalize(join(NOBLE_ESM_DIR, path.slice(vendor.length))) : null;
    if (!file || !file.startsWith(NOBLE_ESM_DIR + sep) || !file.endsWith('.js')) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (typeof address === 'object' && address) resolve({ server, origin: `http://127.0.0.1:${address.port}` });
      else reject(new Error('page server has no address'));
    });
  });
}

const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const hexToBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

interface VersionRow {
  file_id: string;
  path: string;
  current_version_id: string | null;
  id: string;
  status: string;
  size: string;
  content_hash: string;
  s3_version_id: string | null;
  etag: string | null;
  object_key: string;
}

describe('browser upload (headless Chromium → upload-api → S3 → PostgreSQL)', () => {
  let config: AppConfig;
  let ds: DataSource;
  let s3: S3Client;
  let app: RunningApp;
  let pageServer: Server;
  let pageOrigin: string;
  let userDataDir: string;
  let browser: BrowserContext;
  let page: Page;
  let scope: { tenantId: string; caseId: string };
  let token: string;
  const pageLog: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/services/chromium.sh ensure`);
    config = testConfig();
    await migrateTestDatabase(config);
    ds = await createTestDataSource({ config });
    s3 = createS3Client(config.s3);

    const given = await givenTenantWithCase(ds);
    scope = { tenantId: given.tenant.id, caseId: given.case.id };
    const subject = aSubject('lawyer');
    await tenancyOf(ds).tenancy.setCaseMember(scope.tenantId, scope.caseId, subject, 'editor');
    token = await mintTestToken(config, { subject, tenantId: scope.tenantId });

    ({ server: pageServer, origin: pageOrigin } = await startPageServer());
    app = await startBuiltApp('upload-api', {
      UPLOAD_MULTIPART_THRESHOLD_BYTES: String(PART_SIZE),
      UPLOAD_PART_SIZE_BYTES: String(PART_SIZE),
      CORS_ORIGINS: pageOrigin,
    });
    await waitForStatus(app, '/health/ready');

    // Playwright refuses --user-data-dir in args; a persistent context on a fresh temp
    // folder is the same thing. It adds --headless itself.
    userDataDir = await mkdtemp(join(tmpdir(), 'case-storage-chromium-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.on('console', (msg) => pageLog.push(`[console.${msg.type()}] ${msg.text()}`));
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('requestfailed', (req) => pageLog.push(`[requestfailed] ${req.method()} ${req.url()}: ${req.failure()?.errorText ?? '?'}`));
    await page.goto(`${pageOrigin}/`);
    await page.waitForFunction(() => 'caseStorageSha256' in globalThis, undefined, { timeout: 10_000 });
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
    await app?.stop('SIGTERM');
    await new Promise<void>((resolve) => (pageServer ? pageServer.close(() => resolve()) : resolve()));
    s3?.destroy();
    await ds?.destroy();
  });

  it('uploads a single-PUT and a 3-part multipart file from the page, and both are committed and stored intact', async () => {
    const result = await page.evaluate(uploadInPage, {
      apiUrl: app.url,
      token,
      caseId: scope.caseId,
      files: FILES,
      hashChunkBytes: 1024 * 1024 - 3,
    });
    const context = `\n--- page log ---\n${pageLog.join('\n')}\n--- page errors ---\n${pageErrors.join('\n')}\n--- api log (tail) ---\n${app.output().slice(-4000)}`;
    if (!result.ok) throw new Error(`the upload in the page failed: ${result.error}${context}`);
    expect(pageErrors).toEqual([]);

    // The env overrides reached the API, so the 11 MiB file went multipart in 3 parts.
    expect(result.policy).toMatchObject({ multipartThreshold: PART_SIZE, partSize: PART_SIZE });
    const [single, multi] = result.files;
    expect(single).toMatchObject({ path: FILES[0].path, size: FILES[0].size, method: 'PUT', partSha256: [] });
    expect(multi).toMatchObject({ path: FILES[1].path, size: FILES[1].size, method: 'MULTIPART', partSizes: [PART_SIZE, PART_SIZE, MIB + 7] });
    expect(multi.partSha256).toHaveLength(3);
    // Bucket CORS exposes ETag and the version id to the page.
    for (const put of [...single.puts, ...multi.puts]) expect(put.etag).toMatch(/^"[^"]+"$/);
    expect(single.puts[0].versionId).toBeTruthy();

    expect(result.completeStatus).toBe(201);
    const records = new Map(result.complete.files.map((r) => [r.path, r]));
    expect([...records.keys()].sort()).toEqual(FILES.map((f) => f.path).sort());
    for (const file of result.files) {
      expect(records.get(file.path)).toMatchObject({ size: file.size, sha256: file.sha256, version: { number: 1 } });
    }
    expect(records.get(single.path)?.version.s3VersionId).toBe(single.puts[0].versionId);

    // PostgreSQL: one committed, current version per file, with what storage confirmed.
    const rows = await tenancyOf(ds).transactions.run(scope.tenantId, (em) =>
      em.query<VersionRow[]>(
        `SELECT f.id AS file_id, f.path, f.current_version_id, v.id, v.status, v.size::text AS size, v.content_hash,
                v.s3_version_id, v.etag, v.object_key
           FROM files f JOIN file_versions v ON v.file_id = f.id
          WHERE f.tenant_id = $1 AND f.case_id = $2 AND f.deleted_at IS NULL
          ORDER BY f.path`,
        [scope.tenantId, scope.caseId],
      ),
    );
    expect(rows.map((r) => r.path).sort()).toEqual(FILES.map((f) => f.path).sort());

    for (const file of result.files) {
      const row = rows.find((r) => r.path === file.path);
      const record = records.get(file.path);
      if (!row || !record) throw new Error(`no row or record for ${file.path}`);
      expect(row).toMatchObject({
        status: 'committed',
        current_version_id: row.id,
        size: String(file.size),
        content_hash: file.sha256,
        s3_version_id: record.version.s3VersionId,
        etag: record.version.etag,
        object_key: `tenants/${scope.tenantId}/cases/${scope.caseId}/files/${row.file_id}`,
      });
      expect(record).toMatchObject({ id: row.file_id, version: { id: row.id } });

      // Object storage: that exact version has the size and checksum, and its bytes hash to
      // what the page declared (for multipart, storage only knows the checksum of the parts'
      // checksums, so reading the bytes is the whole-file check).
      const Bucket = config.s3.bucket;
      const VersionId = row.s3_version_id ?? undefined;
      const head = await s3.send(new HeadObjectCommand({ Bucket, Key: row.object_key, VersionId, ChecksumMode: 'ENABLED' }));
      expect(head.VersionId).toBe(row.s3_version_id);
      expect(head.ContentLength).toBe(file.size);
      const expectedChecksum =
        file.partSha256.length === 0
          ? hexToBase64(file.sha256)
          : `${createHash('sha256').update(Buffer.concat(file.partSha256.map((h) => Buffer.from(h, 'hex')))).digest('base64')}-${file.partSha256.length}`;
      expect(head.ChecksumSHA256).toBe(expectedChecksum);

      const object = await s3.send(new GetObjectCommand({ Bucket, Key: row.object_key, VersionId }));
      const bytes = await object.Body?.transformToByteArray();
      if (!bytes) throw new Error(`no body for ${row.object_key}`);
      expect(bytes.length).toBe(file.size);
      expect(sha256Hex(bytes)).toBe(file.sha256);
      // The page's per-part hashes are the parts' real hashes.
      file.partSha256.forEach((partHash, n) => {
        expect(sha256Hex(bytes.subarray(n * PART_SIZE, (n + 1) * PART_SIZE))).toBe(partHash);
      });
    }
  }, 120_000);
});

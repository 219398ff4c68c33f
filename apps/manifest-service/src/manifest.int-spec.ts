/**
 * The manifest service over HTTP against the real PostgreSQL and Redis (and S3 for
 * downloads): listing shapes, read-your-writes under concurrency, stampede protection
 * across replicas, Redis outages, tenancy, pagination under writes and bad input.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { AppConfig } from '@case-storage/config';
import { ManifestCache } from '@case-storage/manifest-cache';
import { manifestDatabaseReads, manifestRedisFallbacks, manifestCacheHits } from '@case-storage/manifest';
import { createS3Client } from '@case-storage/object-storage';
import { configureApp } from '@case-storage/platform';
import { createTestDataSource, freePort, givenTenantWithCase, mintTestToken, seedCommittedFiles, tenancyOf, testConfig } from '@case-storage/testing';
import { DataSource } from 'typeorm';
import { AppModule } from './app/app.module';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field

interface Replica {
  app: NestExpressApplication;
  url: string;
}

let ds: DataSource;
let config: AppConfig;
let replicas: Replica[] = [];
let tenantId: string;
let token: string;

async function startReplica(cfg: AppConfig): Promise<Replica> {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule.forRoot(cfg)] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bufferLogs: true });
  configureApp(app, cfg);
  await app.listen(0, '127.0.0.1');
  return { app, url: (await app.getUrl()).replace('[::1]', '127.0.0.1') };
}

async function get(replica: Replica, path: string, headers: Record<string, string> = {}, auth: string | null = token): Promise<{ status: number; body: Json; etag: string | null }> {
  const res = await fetch(replica.url + path, { headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), ...headers } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, etag: res.headers.get('etag') };
}

async function newCase(members: Record<string, 'viewer' | 'editor' | 'owner'> = { reader: 'viewer' }): Promise<string> {
  const caseId = randomUUID();
  const { tenancy } = tenancyOf(ds);
  await tenancy.upsertCase(tenantId, { id: caseId, title: `Matter ${caseId.slice(0, 8)}` });
  for (const [subject, role] of Object.entries(members)) await tenancy.setCaseMember(tenantId, caseId, subject, role);
  return caseId;
}

/** What the upload API does for a write: commit, then invalidate. Resolves when "its response has returned". */
async function write(replica: Replica, caseId: string, path: string): Promise<void> {
  await seedCommittedFiles(ds, { tenantId, caseId }, [{ path }]);
  await replica.app.get(ManifestCache).invalidate(tenantId, caseId);
}

const paths = (body: Json): string[] => body.files.map((f: { path: string }) => f.path);

beforeAll(async () => {
  config = testConfig({ LOG_LEVEL: 'warn' });
  ds = await createTestDataSource();
  const given = await givenTenantWithCase(ds);
  tenantId = given.tenant.id;
  token = await mintTestToken(config, { subject: 'reader', tenantId });
  replicas = [await startReplica(config), await startReplica(config)];
}, 60_000);

afterAll(async () => {
  for (const r of replicas) await r.app.close();
  await ds?.destroy();
});

describe('listing', () => {
  it('serves the tree with each file, derived files linked to their source version', async () => {
    const caseId = await newCase();
    const [source] = await seedCommittedFiles(ds, { tenantId, caseId }, [{ path: 'Pleadings/contract.pdf', size: 2048, createdBy: 'alice' }]);
    await seedCommittedFiles(ds, { tenantId, caseId }, [
      { path: 'Pleadings/contract.pdf.md', contentType: 'text/markdown', derivedFrom: { fileId: source.fileId, versionId: source.versionId } },
      { path: 'notes.txt', contentType: 'text/plain' },
    ]);
    const res = await get(replicas[0], `/api/cases/${caseId}/files`);
    expect(res.status).toBe(200);
    expect(res.body.tree.files.map((f: Json) => f.name)).toEqual(['notes.txt']);
    const [folder] = res.body.tree.folders;
    expect(folder).toMatchObject({ name: 'Pleadings', path: 'Pleadings' });
    const [contract, markdown] = folder.files;
    expect(contract).toMatchObject({ id: source.fileId, name: 'contract.pdf', size: 2048, kind: 'original', derivedFrom: null });
    expect(contract.version).toMatchObject({ id: source.versionId, number: 1, committedBy: 'alice', verified: true });
    expect(contract.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(markdown).toMatchObject({
      kind: 'derived',
      derivedFrom: { fileId: source.fileId, path: 'Pleadings/contract.pdf', versionId: source.versionId, versionNumber: 1, sourceChanged: false },
    });
  });

  it('flags a derived file whose source has moved on to a newer version', async () => {
    const caseId = await newCase();
    const [source] = await seedCommittedFiles(ds, { tenantId, caseId }, [{ path: 'brief.pdf' }]);
    await seedCommittedFiles(ds, { tenantId, caseId }, [{ path: 'brief.pdf.md', derivedFrom: { fileId: source.fileId, versionId: source.versionId } }]);
    await tenancyOf(ds).transactions.run(tenantId, async (em) => {
      const [{ id }] = await em.query(
        `INSERT INTO file_versions (tenant_id, file_id, version_no, object_key, s3_version_id, etag, size, content_hash, status, created_by, committed_at)
         VALUES ($1, $2, 2, 'k', 's3v2', '"e2"', 10, $3, 'committed', 'alice', now()) RETURNING id`,
        [tenantId, source.fileId, 'a'.repeat(64)],
      );
      await em.query(`UPDATE files SET current_version_id = $2 WHERE id = $1`, [source.fileId, id]);
    });
    await replicas[0].app.get(ManifestCache).invalidate(tenantId, caseId);
    const res = await get(replicas[0], `/api/cases/${caseId}/files?flat=true`);
    const md = res.body.files.find((f: Json) => f.path === 'brief.pdf.md');
    expect(md.derivedFrom).toMatchObject({ versionNumber: 1, sourceChanged: true });
  });

  it('lists one subtree with prefix, flat or as a tree', async () => {
    const caseId = await newCase();
    await seedCommittedFiles(ds, { tenantId, caseId }, ['a/x.pdf', 'a/b/y.pdf', 'a-b/z.pdf', 'ab.pdf', 'c.pdf'].map((path) => ({ path })));
    const flat = await get(replicas[0], `/api/cases/${caseId}/files?prefix=a&flat=true`);
    expect(paths(flat.body)).toEqual(['a/b/y.pdf', 'a/x.pdf']);
    const tree = await get(replicas[0], `/api/cases/${caseId}/files?prefix=a/`);
    expect(tree.body.tree).toMatchObject({ path: 'a', files: [{ name: 'x.pdf' }], folders: [{ path: 'a/b', files: [{ name: 'y.pdf' }] }] });
  });

  it('answers 304 to a matching If-None-Match, and a new ETag after a write', async () => {
    const caseId = await newCase();
    await seedCommittedFiles(ds, { tenantId, caseId }, [{ path: 'one.pdf' }]);
    const first = await get(replicas[0], `/api/cases/${caseId}/files`);
    expect(first.etag).toMatch(/^".+"$/);
    const again = await fetch(`${replicas[1].url}/api/cases/${caseId}/files`, { headers: { authorization: `Bearer ${token}`, 'if-none-match': first.etag as string } });
    expect(again.status).toBe(304);
    await write(replicas[0], caseId, 'two.pdf');
    const changed = await fetch(`${replicas[1].url}/api/cases/${caseId}/files`, { headers: { authorization: `Bearer ${token}`, 'if-none-match': first.etag as string } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).not.toBe(first.etag);
  });
});

describe('consistency', () => {
  it('never misses a write whose response had returned before the listing started (many readers, many writers)', async () => {
    const caseId = await newCase();
    await seedCommittedFiles(ds, { tenantId, caseId }, Array.from({ length: 200 }, (_, i) => ({ path: `seed/${String(i).padStart(4, '0')}.pdf` })));
    const committed: string[] = [];
    const violations: string[] = [];
    let reads = 0;
    const until = Date.now() + 6_000;

    const writer = async (w: number) => {
      for (let i = 0; Date.now() < until; i++) {
        const path = `w${w}/${String(i).padStart(5, '0')}.pdf`;
        await write(replicas[i % 2], caseId, path);
        committed.push(path); // the write's "response" has returned
      }
    };
    const reader = async (r: number) => {
      while (Date.now() < until) {
        const mustSee = committed.slice();
        const res = await get(replicas[r % 2], `/api/cases/${caseId}/files?flat=true&limit=5000`);
        reads++;
        const seen = new Set(paths(res.body));
        for (const p of mustSee) if (!seen.has(p)) violations.push(`${p} missing from a listing started after it committed`);
      }
    };
    await Promise.all([...[0, 1, 2, 3].map(writer), ...Array.from({ length: 12 }, (_, r) => reader(r))]);
    expect(violations).toEqual([]);
    expect(committed.length).toBeGreaterThan(50);
    expect(reads).toBeGreaterThan(100);
  }, 30_000);

  it('answers a burst of 200 requests on a cold case, across two replicas, with a handful of database reads', async () => {
    const caseId = await newCase();
    await seedCommittedFiles(ds, { tenantId, caseId }, Array.from({ length: 500 }, (_, i) => ({ path: `bulk/${i}.pdf` })));
    const before = (await manifestDatabaseReads.get()).values[0]?.value ?? 0;
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => get(replicas[i % 2], `/api/cases/${caseId}/files?flat=true&limit=5000`)));
    const after = (await manifestDatabaseReads.get()).values[0]?.value ?? 0;
    expect(results.every((r) => r.status === 200 && r.body.files.length === 500)).toBe(true);
    expect(new Set(results.map((r) => r.etag)).size).toBe(1);
    expect(after - before).toBeLessThanOrEqual(3);
  }, 30_000);
});

describe('when Redis goes away', () => {
  let redisProcess: ChildProcess | undefined;
  let redisPort: number;
  let dir: string;
  let replica: Replica;

  const startRedis = async () => {
    redisProcess = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(redisPort), '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        const probe = spawn('redis-cli', ['-p', String(redisPort), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        probe.stdout?.on('data', (d: Buffer) => (out += d.toString()));
        probe.on('exit', () => resolve(out.includes('PONG')));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('private redis-server did not start');
  };
  const stopRedis = () =>
    new Promise<void>((resolve) => {
      if (!redisProcess || redisProcess.exitCode !== null) return resolve();
      redisProcess.once('exit', () => resolve());
      redisProcess.kill('SIGKILL');
    });

  beforeAll(async () => {
    // A Redis of its own: stopping the shared one would disturb the other suites.
    dir = mkdtempSync(join(tmpdir(), 'manifest-redis-'));
    redisPort = await freePort();
    await startRedis();
    replica = await startReplica(testConfig({ LOG_LEVEL: 'error', REDIS_URL: `redis://127.0.0.1:${redisPort}/0` }));
  }, 30_000);

  afterAll(async () => {
    await replica?.app.close();
    await stopRedis();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps answering from PostgreSQL, then returns to the cache by itself', async () => {
    const caseId = await newCase();
    await seedCommittedFiles(ds, { tenantId, caseId }, [{ path: 'a.pdf' }, { path: 'b.pdf' }]);
    const counter = async (c: typeof manifestCacheHits) => (await c.get()).values[0]?.value ?? 0;
    const url = `/api/cases/${caseId}/files?flat=true`;
    await get(replica, url);
    const hitsBefore = await counter(manifestCacheHits);
    expect(paths((await get(replica, url)).body)).toEqual(['a.pdf', 'b.pdf']);
    expect(await counter(manifestCacheHits)).toBe(hitsBefore + 1);

    await stopRedis();
    const fallbacksBefore = await counter(manifestRedisFallbacks);
    await seedCommittedFiles(ds, { tenantId, caseId }, [{ path: 'c.pdf' }]);
    for (let i = 0; i < 5; i++) {
      const res = await get(replica, url);
      expect(res.status).toBe(200);
      expect(paths(res.body)).toEqual(['a.pdf', 'b.pdf', 'c.pdf']);
    }
    expect(await counter(manifestRedisFallbacks)).toBeGreaterThanOrEqual(fallbacksBefore + 5);

    await startRedis(); // empty: the restarted Redis has no stale page to serve
    const deadline = Date.now() + 10_000;
    let hits = await counter(manifestCacheHits);
    const start = hits;
    while (hits === start && Date.now() < deadline) {
      const res = await get(replica, url);
      expect(paths(res.body)).toEqual(['a.pdf', 'b.pdf', 'c.pdf']);
      hits = await counter(manifestCacheHits);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(hits).toBeGreaterThan(start);
  }, 30_000);
});

describe('tenancy', () => {
  it('answers 404 to another tenant and to a non-member, even with the page cached', async () => {
    const caseId = await newCase({ reader: 'viewer' });
    await seedCommittedFiles(ds, { tenantId, caseId }, [{ path: 'secret.pdf' }]);
    expect((await get(replicas[0], `/api/cases/${caseId}/files`)).status).toBe(200); // now cached
    const outsider = await mintTestToken(config, { subject: 'mallory', tenantId });
    const stranger = await mintTestToken(config, { subject: 'reader', tenantId: randomUUID() });
    for (const t of [outsider, stranger]) {
      const res = await get(replicas[0], `/api/cases/${caseId}/files`, {}, t);
      expect([res.status, res.body.code]).toEqual([404, 'CASE_NOT_FOUND']);
      expect(JSON.stringify(res.body)).not.toContain('secret.pdf');
    }
    expect((await get(replicas[0], `/api/cases/${caseId}/files`, {}, null)).status).toBe(401);
  });
});

describe('pagination', () => {
  it('stays complete and duplicate-free while files are added between pages', async () => {
    const caseId = await newCase();
    const original = Array.from({ length: 60 }, (_, i) => `p/${String(i).padStart(3, '0')}.pdf`);
    await seedCommittedFiles(ds, { tenantId, caseId }, original.map((path) => ({ path })));
    const seen: string[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const res: { body: Json } = await get(replicas[page % 2], `/api/cases/${caseId}/files?flat=true&limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...paths(res.body));
      cursor = res.body.page.nextCursor;
      // Writes land before and after the cursor between pages.
      await write(replicas[0], caseId, `p/${String(page * 10).padStart(3, '0')}-late.pdf`);
      await write(replicas[0], caseId, `p/zz-${page}.pdf`);
      page++;
    } while (cursor && page < 100);
    expect(new Set(seen).size).toBe(seen.length);
    for (const p of original) expect(seen).toContain(p);
    expect(seen).toEqual([...seen].sort());
  });
});

describe('bad input', () => {
  it.each([
    ['/api/cases/not-a-uuid/files', 400, 'INVALID_ID'],
    ['/api/cases/{case}/files?cursor=%%%', 400, 'INVALID_CURSOR'],
    ['/api/cases/{case}/files?cursor=eyJ2IjoxfQ', 400, 'INVALID_CURSOR'],
    ['/api/cases/{case}/files?prefix=../etc', 400, 'INVALID_PREFIX'],
    ['/api/cases/{case}/files?prefix=/abs', 400, 'INVALID_PREFIX'],
    ['/api/cases/{case}/files?limit=0', 400, 'INVALID_LIMIT'],
    ['/api/cases/{case}/files?limit=5001', 400, 'INVALID_LIMIT'],
    ['/api/cases/{case}/files?limit=ten', 400, 'INVALID_LIMIT'],
    ['/api/cases/{case}/files?flat=maybe', 400, 'INVALID_FLAG'],
    ['/api/cases/{case}/files?limit=1&limit=2', 400, 'INVALID_FLAG'],
    ['/api/cases/{case}/files/not-a-uuid/versions', 400, 'INVALID_ID'],
    ['/api/cases/{case}/files/00000000-0000-4000-8000-000000000000/versions', 404, 'FILE_NOT_FOUND'],
    ['/api/cases/{case}/files/00000000-0000-4000-8000-000000000000/download?version=x', 400, 'INVALID_VERSION'],
  ])('%s answers %i %s', async (path, status, code) => {
    const caseId = await newCase();
    const res = await get(replicas[0], path.replace('{case}', caseId));
    expect([res.status, res.body.code]).toEqual([status, code]);
  });

  it('refuses a cursor issued for another prefix', async () => {
    const caseId = await newCase();
    await seedCommittedFiles(ds, { tenantId, caseId }, ['a/1.pdf', 'a/2.pdf', 'b/1.pdf'].map((path) => ({ path })));
    const first = await get(replicas[0], `/api/cases/${caseId}/files?prefix=a&flat=true&limit=1`);
    const res = await get(replicas[0], `/api/cases/${caseId}/files?prefix=b&flat=true&cursor=${first.body.page.nextCursor}`);
    expect([res.status, res.body.code]).toEqual([400, 'INVALID_CURSOR']);
  });
});

describe('versions and downloads', () => {
  it('lists the version history and signs a download with a safe file name', async () => {
    const caseId = await newCase();
    const s3 = createS3Client(config.s3);
    const data = Buffer.from('the brief, version one');
    const key = `tenants/${tenantId}/cases/${caseId}/files/${randomUUID()}`;
    const stored = await s3.send(new PutObjectCommand({ Bucket: config.s3.bucket, Key: key, Body: data }));
    const [file] = await seedCommittedFiles(ds, { tenantId, caseId }, [
      { path: 'Briefs/Mémoire "final";.pdf', objectKey: key, s3VersionId: stored.VersionId, etag: stored.ETag, size: data.length, sha256: createHash('sha256').update(data).digest('hex') },
    ]);
    const versions = await get(replicas[0], `/api/cases/${caseId}/files/${file.fileId}/versions`);
    expect(versions.status).toBe(200);
    expect(versions.body.versions).toEqual([expect.objectContaining({ id: file.versionId, number: 1, size: data.length, s3VersionId: stored.VersionId })]);

    const download = await get(replicas[0], `/api/cases/${caseId}/files/${file.fileId}/download?version=1`);
    expect(download.status).toBe(200);
    const res = await fetch(download.body.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer())).toEqual(data);
    const disposition = res.headers.get('content-disposition') ?? '';
    expect(disposition).toBe(`attachment; filename="Me_moire _final_;.pdf"; filename*=UTF-8''M%C3%A9moire%20%22final%22%3B.pdf`);
    expect((await get(replicas[0], `/api/cases/${caseId}/files/${file.fileId}/download?version=9`)).body.code).toBe('VERSION_NOT_FOUND');
    s3.destroy();
  });
});

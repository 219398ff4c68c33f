/**
 * Manifest benchmark: `GET /api/cases/{caseId}/files` on cache hits and on misses, for
 * cases of 100, 10,000 and 100,000 files, against the built manifest-service started
 * here as a child process and the local PostgreSQL and Redis (127.0.0.1 only).
 *
 * Per case (one page each: the tree at the default limit of 1000, and for the largest
 * case also flat at limit=5000):
 *   hits      autocannon for a fixed time at a fixed concurrency on a warm page;
 *   baseline  the same, against a minimal node:http server that HGETs the same Redis
 *             key and field the service wrote and writes those bytes (service ÷ baseline
 *             requests/s, target ≥ 0.7);
 *   misses    the same, each request carrying a cursor of its own (a distinct cache
 *             field) whose position sorts before every path: the same rows and bytes, but
 *             never a cached page;
 *   SQL       ManifestRepository.page() called directly, median of N runs.
 * Then the service's peak RSS (VmHWM) around the 100,000-file runs, and what the per-request
 * access check (JWT verify; membership in PostgreSQL when not cached) costs on its own.
 * See README.md.
 */
import 'reflect-metadata';
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { TokenVerifier } from '@case-storage/auth';
import { AppConfig } from '@case-storage/config';
import { encodeCursor, ManifestQuery, ManifestRepository } from '@case-storage/manifest';
import { ManifestCache, manifestKey } from '@case-storage/manifest-cache';
import { TenantTransactions } from '@case-storage/persistence';
import {
  aCase,
  CommittedFileSpec,
  createTestDataSource,
  givenTenantWithCase,
  migrateTestDatabase,
  mintTestToken,
  RunningApp,
  seedCommittedFiles,
  startBuiltApp,
  tenancyOf,
  testConfig,
  waitForStatus,
  positiveIntEnv,
  processMemory,
} from '@case-storage/testing';
import { DataSource } from 'typeorm';

const KiB = 1024;
const MiB = 1024 * KiB;

const settings = {
  sizes: (process.env['BENCH_SIZES'] ?? '100,10000,100000').split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 10) throw new Error(`BENCH_SIZES: "${s}" is not a file count of at least 10`);
    return n;
  }),
  connections: positiveIntEnv('BENCH_CONNECTIONS', 32),
  /** Seconds of load per measurement (hits, baseline, misses: each). */
  seconds: positiveIntEnv('BENCH_SECONDS', 10),
  warmupSeconds: positiveIntEnv('BENCH_WARMUP_SECONDS', 5),
  sqlRuns: positiveIntEnv('BENCH_SQL_RUNS', 20),
  /** Sequential requests for the one-at-a-time latencies (hit and miss at concurrency 1). */
  serialRuns: positiveIntEnv('BENCH_SERIAL_RUNS', 10),
  accessRuns: positiveIntEnv('BENCH_ACCESS_RUNS', 300),
  bigFlatLimit: positiveIntEnv('BENCH_BIG_FLAT_LIMIT', 5000),
  targetRatio: Number(process.env['BENCH_TARGET_RATIO'] ?? '0.7'),
  enforce: process.env['BENCH_ENFORCE'] === '1',
  logLevel: process.env['BENCH_LOG_LEVEL'] ?? 'warn',
};

const SUBJECT = 'bench';
/** Files per subfolder and subfolders per folder: 1,000 files per top-level folder. */
const FILES_PER_SUB = 50;
const SUBS_PER_FOLDER = 20;
/** Every tenth file is a derived Markdown rendition of a PDF (the listing's LEFT JOINs do work). */
const DERIVED_EVERY = 10;

interface Row {
  readonly label: string;
  readonly files: number;
  readonly caseId: string;
  readonly query: ManifestQuery;
}

interface Load {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly errors: number;
  readonly non2xx: number;
}

interface RowResult {
  readonly label: string;
  readonly files: number;
  readonly pageFiles: number;
  readonly bodyBytes: number;
  readonly hit: Load;
  readonly baseline: Load;
  readonly miss: Load;
  readonly ratio: number;
  readonly serialHitMs: number;
  readonly serialMissMs: number;
  readonly sqlMs: number;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const loadAverage = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** `Folder-007/Sub-13/doc-007123.pdf`, plus a `.pdf.md` rendition of every tenth PDF. */
function caseFiles(count: number): { originals: CommittedFileSpec[]; derived: (sources: readonly { fileId: string; versionId: string; path: string }[]) => CommittedFileSpec[] } {
  const derivedCount = Math.floor(count / DERIVED_EVERY);
  const originals = Array.from({ length: count - derivedCount }, (_, i) => ({
    path: `Folder-${pad(Math.floor(i / (FILES_PER_SUB * SUBS_PER_FOLDER)), 3)}/Sub-${pad(Math.floor(i / FILES_PER_SUB) % SUBS_PER_FOLDER, 2)}/doc-${pad(i, 6)}.pdf`,
    size: 20 * KiB + ((i * 7919) % (5 * MiB)),
    createdBy: SUBJECT,
  }));
  const stride = Math.floor(originals.length / Math.max(derivedCount, 1));
  return {
    originals,
    derived: (sources) =>
      Array.from({ length: derivedCount }, (_, j) => {
        const source = sources[j * stride];
        return { path: `${source.path}.md`, contentType: 'text/markdown', size: 4 * KiB, createdBy: SUBJECT, derivedFrom: { fileId: source.fileId, versionId: source.versionId } };
      }),
  };
}

function listingPath(caseId: string, query: ManifestQuery): string {
  const params = new URLSearchParams();
  if (query.flat) params.set('flat', 'true');
  if (query.limit !== 1000) params.set('limit', String(query.limit));
  if (query.after !== null) params.set('cursor', encodeCursor(query.after, query.prefix));
  const qs = params.toString();
  return `/api/cases/${caseId}/files${qs ? `?${qs}` : ''}`;
}

/**
 * A listing path no request has used before: its cursor points just before every real
 * path ("A-…" sorts before "Folder-…"), so the rows, the body and the SQL plan are the
 * page's own, while the cache field (which includes the cursor) is new: a guaranteed miss.
 */
let missCounter = 0;
const missPath = (row: Row): string => listingPath(row.caseId, { ...row.query, after: `A-miss-${process.pid}-${++missCounter}` });

async function load(url: string, opts: { path?: () => string; headers?: Record<string, string>; seconds: number }): Promise<Load> {
  const result = await autocannon({
    url,
    connections: settings.connections,
    duration: opts.seconds,
    timeout: 120,
    headers: opts.headers,
    ...(opts.path ? { requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: (opts.path as () => string)() }) }] } : {}),
  });
  return {
    rps: result['2xx'] / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result['2xx'],
    errors: result.errors,
    non2xx: result.non2xx,
  };
}

/** The service's Prometheus counters: proves hits were hits and misses were misses. */
async function counters(app: RunningApp): Promise<{ hits: number; reads: number }> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? '0');
  return { hits: value('manifest_cache_hits_total'), reads: value('manifest_database_reads_total') };
}

async function startBaseline(redisUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'baseline-server.ts')], {
    env: { ...process.env, TS_NODE_PROJECT: join(__dirname, 'tsconfig.json'), BENCH_REDIS_URL: redisUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (!child.stdout) throw new Error('baseline server has no stdout');
  const lines = createInterface({ input: child.stdout });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`baseline server exited (${code}) before listening`)));
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function timed<T>(fn: () => Promise<T>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

async function serialMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await timed(fn));
  return median(times);
}

const ms = (v: number): string => (v < 10 ? v.toFixed(1) : v.toFixed(0));
const rps = (v: number): string => v.toFixed(0);
const bytes = (v: number): string => (v >= MiB ? `${(v / MiB).toFixed(1)} MiB` : `${(v / KiB).toFixed(0)} KiB`);

async function main(): Promise<void> {
  const config: AppConfig = testConfig();
  const loadAtStart = loadAverage();
  let ds: DataSource | undefined;
  let app: RunningApp | undefined;
  let baseline: { url: string; child: ChildProcess } | undefined;
  const redis = new Redis(config.redis.url, { connectionName: 'manifest-bench' });
  try {
    await migrateTestDatabase(config);
    ds = await createTestDataSource({ config });
    const { tenancy, transactions } = tenancyOf(ds);
    const given = await givenTenantWithCase(ds);
    const tenantId = given.tenant.id;
    const caseIds = [given.case.id];
    while (caseIds.length < settings.sizes.length) caseIds.push((await tenancy.upsertCase(tenantId, aCase())).id);

    // Seed each case: the PDFs first, then their renditions (which need the PDFs' ids).
    const seedStarted = performance.now();
    for (const [i, size] of settings.sizes.entries()) {
      await tenancy.setCaseMember(tenantId, caseIds[i], SUBJECT, 'viewer');
      const spec = caseFiles(size);
      const sources = await seedCommittedFiles(ds, { tenantId, caseId: caseIds[i] }, spec.originals);
      await seedCommittedFiles(ds, { tenantId, caseId: caseIds[i] }, spec.derived(sources));
    }
    const seedMs = performance.now() - seedStarted;
    // Fresh statistics, as autovacuum would gather them on a real database, so the planner
    // sees the new rows (needs the owner role; the bench goes on without it).
    const owner = await createTestDataSource({ config, asOwner: true });
    await owner.query('ANALYZE files, file_versions').catch((err: unknown) => process.stderr.write(`ANALYZE skipped: ${String(err)}\n`));
    await owner.destroy();

    const token = await mintTestToken(config, { subject: SUBJECT, tenantId }, 3600);
    const headers = { authorization: `Bearer ${token}` };

    app = await startBuiltApp('manifest-service', { LOG_LEVEL: settings.logLevel });
    await waitForStatus(app, '/health/ready');
    const pid = app.process.pid;
    if (pid === undefined) throw new Error('manifest-service has no pid');
    const afterBoot = processMemory(pid);
    baseline = await startBaseline(config.redis.url);
    const cache = new ManifestCache(redis);
    const repo = new ManifestRepository(new TenantTransactions(ds));

    const biggest = Math.max(...settings.sizes);
    const rows: Row[] = settings.sizes.map((files, i) => ({ label: 'tree', files, caseId: caseIds[i], query: { prefix: '', flat: false, limit: 1000, after: null } }));
    rows.push({ label: `flat`, files: biggest, caseId: caseIds[settings.sizes.indexOf(biggest)], query: { prefix: '', flat: true, limit: settings.bigFlatLimit, after: null } });

    process.stdout.write(
      `manifest benchmark: ${settings.sizes.map((n) => n.toLocaleString('en')).join(' / ')} files seeded in ${(seedMs / 1000).toFixed(1)} s; ` +
        `autocannon, ${settings.connections} connections, ${settings.seconds} s per measurement; manifest-service pid ${pid}, LOG_LEVEL=${settings.logLevel}; load average ${loadAtStart}\n` +
        `  listings are PAGED: each row is one page (tree = the default limit of 1000 files; flat = limit=${settings.bigFlatLimit}), not the whole case\n`,
    );

    let memoryBeforeBiggest = afterBoot;
    let warmup: { service: Load; baseline: Load } | undefined;
    const results: RowResult[] = [];
    for (const [index, row] of rows.entries()) {
      if (row.files === biggest && (index === 0 || rows[index - 1].files !== biggest)) memoryBeforeBiggest = processMemory(pid);
      const path = listingPath(row.caseId, row.query);
      const key = manifestKey(tenantId, row.caseId);

      // Warm the page: drop whatever is cached, one request fills it, and the field it wrote is
      // the one the baseline reads.
      await cache.invalidate(tenantId, row.caseId);
      const warm = await fetch(app.url + path, { headers });
      if (warm.status !== 200) throw new Error(`warm-up ${path}: HTTP ${warm.status} ${await warm.text()}`);
      const body = await warm.arrayBuffer();
      const fields = await redis.hkeys(key);
      if (fields.length !== 1) throw new Error(`expected one cached page under ${key} after the warm-up, found ${fields.length}`);
      const field = fields[0];
      const baselinePath = `/?key=${encodeURIComponent(key)}&field=${encodeURIComponent(field)}`;
      const baselineBody = await (await fetch(baseline.url + baselinePath)).arrayBuffer();
      if (Buffer.compare(Buffer.from(body), Buffer.from(baselineBody)) !== 0) throw new Error(`the baseline's bytes differ from the service's for ${path}`);
      const pageFiles = (JSON.parse(Buffer.from(body).toString('utf8')) as { page: { count: number } }).page.count;

      if (index === 0) {
        // JIT, connection pools and sockets of both servers, before anything is recorded.
        warmup = {
          service: await load(app.url + path, { headers, seconds: settings.warmupSeconds }),
          baseline: await load(baseline.url + baselinePath, { seconds: Math.min(settings.warmupSeconds, 2) }),
        };
      }

      const service = app;
      let before = await counters(app);
      const hit = await load(app.url + path, { headers, seconds: settings.seconds });
      let after = await counters(app);
      if (after.reads !== before.reads) throw new Error(`${after.reads - before.reads} database reads during the hit run of ${row.files}/${row.label}: not all hits`);
      const serialHitMs = await serialMs(settings.serialRuns, async () => (await fetch(service.url + path, { headers })).arrayBuffer());

      const base = await load(baseline.url + baselinePath, { seconds: settings.seconds });

      // Every miss stores its page under its own field: drop them as the run goes, so Redis
      // holds a handful of pages rather than thousands (DEL without a generation bump, so the
      // service's stores still go through, as they would on real misses).
      const pruner = setInterval(() => void redis.del(key).catch(() => undefined), 250);
      before = await counters(app);
      let miss: Load;
      try {
        miss = await load(app.url, { headers, path: () => missPath(row), seconds: settings.seconds });
      } finally {
        clearInterval(pruner);
      }
      after = await counters(app);
      if (after.hits !== before.hits) throw new Error(`${after.hits - before.hits} cache hits during the miss run of ${row.files}/${row.label}`);
      if (after.reads - before.reads < miss.requests) throw new Error(`${miss.requests} misses answered but only ${after.reads - before.reads} database reads`);
      const serialMissMs = await serialMs(settings.serialRuns, async () => (await fetch(service.url + missPath(row), { headers })).arrayBuffer());
      await redis.del(key);

      const sqlMs = await serialMs(settings.sqlRuns, () => repo.page(tenantId, row.caseId, row.query));

      for (const [name, l] of Object.entries({ hit, baseline: base, miss })) {
        if (l.errors > 0 || l.non2xx > 0) process.stderr.write(`warning: ${row.files}/${row.label} ${name}: ${l.errors} errors, ${l.non2xx} non-2xx answers\n`);
      }
      results.push({ label: row.label, files: row.files, pageFiles, bodyBytes: body.byteLength, hit, baseline: base, miss, ratio: hit.rps / base.rps, serialHitMs, serialMissMs, sqlMs });
    }
    const memory = processMemory(pid);

    // Where the time of a hit goes: the service verifies the token and checks the caller's
    // membership before it reads Redis. The membership check is answered from Redis while
    // cached (a minute per member and case); otherwise, and before that cache existed, it is
    // two tenant transactions in PostgreSQL (BEGIN, set_config, SELECT, COMMIT each). Those
    // calls, made here on their own.
    const verifier = new TokenVerifier(config.auth);
    const principal = await verifier.verify(token);
    // What CaseAccessService.assertCaseAccess reads from PostgreSQL, made with the same
    // repository (not the service itself, so the figure stays "the database's share" even
    // if the service puts a cache in front of it).
    const accessCheck = async (): Promise<void> => {
      const membership = await tenancy.findMembership(principal.tenantId, caseIds[0], principal.subject);
      const kase = membership ? await tenancy.findCase(principal.tenantId, caseIds[0]) : null;
      if (!kase) throw new Error('the bench subject lost its membership');
    };
    const jwtMs = await serialMs(settings.accessRuns, () => verifier.verify(token));
    const accessMs = await serialMs(settings.accessRuns, accessCheck);
    const hgetMs = await serialMs(settings.accessRuns, () => redis.hgetBuffer(manifestKey(tenantId, caseIds[0]), 'none'));
    let checks = 0;
    const deadline = performance.now() + 3000;
    const accessStarted = performance.now();
    await Promise.all(
      Array.from({ length: settings.connections }, async () => {
        while (performance.now() < deadline) {
          await accessCheck();
          checks++;
        }
      }),
    );
    const accessPerSecond = checks / ((performance.now() - accessStarted) / 1000);
    const memberships = await transactions.run(tenantId, (em) => em.query<{ n: string }[]>(`SELECT count(*)::text AS n FROM case_members WHERE tenant_id = $1`, [tenantId]));
    if (Number(memberships[0]?.n) !== settings.sizes.length) throw new Error(`expected ${settings.sizes.length} memberships in the bench tenant`);

    const loadAtEnd = loadAverage();
    const header = ['case files', 'page', 'body', 'hit rps', 'hit p50/p99 ms', 'base rps', 'base p50/p99', 'svc/base', 'miss rps', 'miss p50/p99 ms', 'hit@1 ms', 'miss@1 ms', 'SQL ms'];
    const table = results.map((r) => [
      r.files.toLocaleString('en'),
      `${r.label} ${r.pageFiles}`,
      bytes(r.bodyBytes),
      rps(r.hit.rps),
      `${ms(r.hit.p50)} / ${ms(r.hit.p99)}`,
      rps(r.baseline.rps),
      `${ms(r.baseline.p50)} / ${ms(r.baseline.p99)}`,
      r.ratio.toFixed(2),
      rps(r.miss.rps),
      `${ms(r.miss.p50)} / ${ms(r.miss.p99)}`,
      ms(r.serialHitMs),
      ms(r.serialMissMs),
      ms(r.sqlMs),
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
    const line = (cells: string[]): string => '  ' + cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
    const worst = results.reduce((a, b) => (b.ratio < a.ratio ? b : a));
    const met = worst.ratio >= settings.targetRatio;
    const out = [
      line(header),
      ...table.map(line),
      `  (hit@1 / miss@1: median of ${settings.serialRuns} requests one at a time; SQL: ManifestRepository.page() alone, median of ${settings.sqlRuns}, incl. its transaction and row mapping)`,
      `  warm-up on the first row: service ${warmup ? rps(warmup.service.rps) : '-'} rps over ${settings.warmupSeconds} s, baseline ${warmup ? rps(warmup.baseline.rps) : '-'} rps (not recorded)`,
      `  hits, service / baseline requests/s: ${results.map((r) => `${r.files}/${r.label} ${r.ratio.toFixed(2)}`).join(', ')}; lowest ${worst.ratio.toFixed(2)}, target >= ${settings.targetRatio}: ${met ? 'MET' : 'MISSED'}`,
      `  per request, before the page: JWT verify ${ms(jwtMs * 1000)} µs; membership check in PostgreSQL ${ms(accessMs)} ms (findMembership + findCase: 2 transactions,` +
        ` 8 round trips; a hit skips it while the access cache holds the answer) vs one Redis HGET ${ms(hgetMs * 1000)} µs (medians of ${settings.accessRuns}, one at a time);` +
        ` the PostgreSQL check alone at ${settings.connections} in flight over a pool of ${config.database.poolSize}: ${accessPerSecond.toFixed(0)}/s`,
      `  manifest-service memory: VmRSS after boot ${bytes(afterBoot.rssBytes)}; VmHWM before the ${biggest.toLocaleString('en')}-file runs ${bytes(memoryBeforeBiggest.hwmBytes)}, after them (peak) ${bytes(memory.hwmBytes)}; VmRSS now ${bytes(memory.rssBytes)}`,
      `  load average: ${loadAtStart} at start, ${loadAtEnd} at end (${readFileSync('/proc/cpuinfo', 'utf8').match(/^processor/gm)?.length ?? '?'} CPUs)`,
    ];
    process.stdout.write(out.join('\n') + '\n');
    const round = (l: Load) => ({ rps: Number(l.rps.toFixed(1)), p50Ms: l.p50, p99Ms: l.p99, requests: l.requests, errors: l.errors, non2xx: l.non2xx });
    process.stdout.write(
      JSON.stringify({
        bench: 'manifest',
        connections: settings.connections,
        seconds: settings.seconds,
        paged: true,
        rows: results.map((r) => ({
          files: r.files,
          page: { shape: r.label, files: r.pageFiles, bytes: r.bodyBytes },
          hit: round(r.hit),
          baseline: round(r.baseline),
          miss: round(r.miss),
          ratio: Number(r.ratio.toFixed(3)),
          serialHitMs: Number(r.serialHitMs.toFixed(2)),
          serialMissMs: Number(r.serialMissMs.toFixed(2)),
          sqlMs: Number(r.sqlMs.toFixed(2)),
        })),
        lowestRatio: Number(worst.ratio.toFixed(3)),
        targetRatio: settings.targetRatio,
        met,
        auth: { jwtVerifyMs: Number(jwtMs.toFixed(3)), membershipCheckMs: Number(accessMs.toFixed(3)), hgetMs: Number(hgetMs.toFixed(3)), membershipChecksPerSecond: Math.round(accessPerSecond) },
        memory: { rssAfterBootBytes: afterBoot.rssBytes, hwmBeforeBiggestBytes: memoryBeforeBiggest.hwmBytes, peakRssBytes: memory.hwmBytes },
        loadAverage: { start: loadAtStart, end: loadAtEnd },
      }) + '\n',
    );
    if (settings.enforce && !met) process.exitCode = 1;
  } catch (err) {
    if (app) process.stderr.write(`--- manifest-service output (tail) ---\n${app.output().slice(-4000)}\n`);
    throw err;
  } finally {
    if (baseline && baseline.child.exitCode === null) {
      const exited = new Promise((resolve) => baseline?.child.once('exit', resolve));
      baseline.child.kill('SIGTERM');
      await exited;
    }
    await app?.stop('SIGTERM');
    redis.disconnect();
    await ds?.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`manifest benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});

/**
 * Workspace benchmark (issue #5): the workspace manager's materialize and sync, called
 * in-process on real PostgreSQL, Redis and S3 (127.0.0.1 only), each beside a plain
 * baseline measured in the same run with the same SDK and the same concurrency:
 *   1. cold materialize of BENCH_FILES × BENCH_FILE_BYTES (1,000 × 512 KiB) vs parallel
 *      GetObject → file at WORKSPACE_DOWNLOAD_CONCURRENCY; ratio baseline/ours, target ≥ 0.9;
 *   2. warm re-materialize of the same case on the same node (new directory, same content
 *      store): bytes downloaded (must be 0) and time, vs a parallel copyFile of the cached
 *      objects; once more after re-opening the store (a manager restart);
 *   3. sync of BENCH_SCAN_FILES (10,000) unchanged small files: scan + plan (must hash
 *      nothing; atimes prove no file was read) vs a plain readdir + lstat walk, and the
 *      whole sync;
 *   4. sync of BENCH_CHANGED_FILES (100) changed 1 MiB files vs plain PutObject of the same
 *      bytes at WORKSPACE_UPLOAD_CONCURRENCY; ratio baseline/ours.
 * See README.md beside this file.
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { lstat, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { DynamicModule, INestApplicationContext, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { S3Client } from '@aws-sdk/client-s3';
import { AppConfig, ConfigModule } from '@case-storage/config';
import { ManifestCache, ManifestCacheModule } from '@case-storage/manifest-cache';
import { createS3Client, ObjectStorageModule, ObjectStore } from '@case-storage/object-storage';
import { PersistenceModule, TenantTransactions } from '@case-storage/persistence';
import { RedisModule } from '@case-storage/redis';
import {
  aCase,
  createTestDataSource,
  givenTenantWithCase,
  migrateTestDatabase,
  positiveIntEnv,
  processMemory,
  storeCaseFiles,
  tenancyOf,
  testConfig,
} from '@case-storage/testing';
import {
  ContentStore,
  ManifestEntry,
  MaterializeOutcome,
  MaterializeService,
  planSync,
  scanWorkspace,
  SyncOutcome,
  WorkspaceProgress,
  WorkspaceRepository,
  WorkspaceRow,
  WorkspaceSyncService,
  workspaceDir,
} from '@case-storage/workspace';
import { DataSource } from 'typeorm';
import { deletePrefix, plainCopy, plainDownload, plainPuts, plainWalk } from './baselines';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The settings, read inside main() so a bad value fails with the benchmark's own message. */
function readSettings() {
  const settings = {
    files: positiveIntEnv('BENCH_FILES', 1000),
    fileBytes: positiveIntEnv('BENCH_FILE_BYTES', 512 * KiB),
    scanFiles: positiveIntEnv('BENCH_SCAN_FILES', 10_000),
    scanFileBytes: positiveIntEnv('BENCH_SCAN_FILE_BYTES', 4 * KiB),
    changedFiles: positiveIntEnv('BENCH_CHANGED_FILES', 100),
    changedFileBytes: positiveIntEnv('BENCH_CHANGED_FILE_BYTES', MiB),
    rounds: positiveIntEnv('BENCH_ROUNDS', 3),
    warmupFiles: positiveIntEnv('BENCH_WARMUP_FILES', 50),
    targetRatio: Number(process.env['BENCH_TARGET_RATIO'] ?? '0.9'),
    enforce: process.env['BENCH_ENFORCE'] === '1',
    /** Keep the temp directory and the case's objects for inspection. */
    keep: process.env['BENCH_KEEP'] === '1',
    dir: process.env['BENCH_DIR'] ?? tmpdir(),
  };
  if (!(settings.targetRatio > 0)) throw new Error(`BENCH_TARGET_RATIO must be a positive number, got ${process.env['BENCH_TARGET_RATIO']}`);
  return settings;
}

const SUBJECT = 'bench-workspace';

interface Measured<T> {
  readonly ms: number;
  readonly value: T;
  /** Resident memory of this process when the measurement started, and its peak during it. */
  readonly rssBeforeBytes: number;
  readonly peakRssBytes: number | null;
  /** CPU time of this process (user + system, every thread) during the measurement. */
  readonly cpuMs: number;
}

let peakResettable = true;

/**
 * Times `fn` from a settled start: dirty pages written back (so one phase's writeback does
 * not slow the next), the process's peak RSS reset (`clear_refs`). No forced GC: a full
 * `gc()` before a measurement made the following one 2-3 times costlier in user CPU here.
 */
/** Runs the baseline and ours, the baseline first in even rounds and second in odd ones (neither always gets a warm start). */
async function inTurn<P, O>(round: number, runPlain: () => Promise<P>, runOurs: () => Promise<O>): Promise<{ plain: P; ours: O }> {
  if (round % 2 === 0) {
    const plain = await runPlain();
    return { plain, ours: await runOurs() };
  }
  const ours = await runOurs();
  return { plain: await runPlain(), ours };
}

async function measure<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  execFileSync('sync');
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    peakResettable = false;
  }
  const rssBeforeBytes = processMemory(process.pid).rssBytes;
  const cpuStart = process.cpuUsage();
  const started = performance.now();
  const value = await fn();
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuStart);
  return { ms, value, rssBeforeBytes, peakRssBytes: peakResettable ? processMemory(process.pid).hwmBytes : null, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const msOf = (ms: number): string => `${ms.toFixed(0)} ms`;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)} MiB`;
const size = (bytes: number): string => (bytes >= MiB && bytes % MiB === 0 ? `${bytes / MiB} MiB` : bytes % KiB === 0 ? `${bytes / KiB} KiB` : `${bytes} B`);
const rate = (bytes: number, ms: number): string => `${mib(bytes / (ms / 1000))}/s`;
const count = (n: number): string => n.toLocaleString('en');
const rss = (m: Measured<unknown>): string =>
  m.peakRssBytes === null ? `n/a (now ${mib(processMemory(process.pid).rssBytes)})` : `${mib(m.peakRssBytes)} (+${mib(Math.max(0, m.peakRssBytes - m.rssBeforeBytes))})`;
const loadAverage = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');

/**
 * One row per round, plain beside ours: wall time, throughput, CPU time of this process
 * (steadier than wall time on a shared machine), and plain/ours for both (1.0 = as fast
 * as plain; higher is better for ours). Then the medians.
 */
function pairTable(rows: ReadonlyArray<{ plain: Measured<unknown>; ours: Measured<unknown> }>, bytes: number | null, plainLabel: string, oursLabel: string): string[] {
  const cell = (m: { ms: number; cpuMs: number }): string =>
    `${(m.ms < 1000 ? msOf(m.ms) : secs(m.ms)).padStart(8)} ${bytes === null ? '' : rate(bytes, m.ms).padStart(11)} ${(m.cpuMs < 1000 ? msOf(m.cpuMs) : secs(m.cpuMs)).padStart(8)}`;
  const width = cell({ ms: 0, cpuMs: 0 }).length;
  const head = `${'wall'.padStart(8)} ${bytes === null ? '' : 'rate'.padStart(11)} ${'cpu'.padStart(8)}`;
  const ratios = (p: { ms: number; cpuMs: number }, o: { ms: number; cpuMs: number }): string => `${(p.ms / o.ms).toFixed(2).padStart(6)} ${(p.cpuMs / o.cpuMs).toFixed(2).padStart(6)}`;
  const lines = [`   round   ${plainLabel.padEnd(width)}   ${oursLabel.padEnd(width)}   plain/ours`, `           ${head}   ${head}   ${'wall'.padStart(6)} ${'cpu'.padStart(6)}`];
  for (const [i, r] of rows.entries()) lines.push(`   ${String(i + 1).padEnd(6)}  ${cell(r.plain)}   ${cell(r.ours)}   ${ratios(r.plain, r.ours)}`);
  if (rows.length > 1) {
    const med = (pick: (r: { plain: Measured<unknown>; ours: Measured<unknown> }) => number): number => median(rows.map(pick));
    const plain = { ms: med((r) => r.plain.ms), cpuMs: med((r) => r.plain.cpuMs) };
    const ours = { ms: med((r) => r.ours.ms), cpuMs: med((r) => r.ours.cpuMs) };
    lines.push(`   median  ${cell(plain)}   ${cell(ours)}   ${(med((r) => r.plain.ms / r.ours.ms)).toFixed(2).padStart(6)} ${(med((r) => r.plain.cpuMs / r.ours.cpuMs)).toFixed(2).padStart(6)}`);
  }
  return lines;
}

function quietly(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
}

/** What the workspace services need from the platform: config, PostgreSQL, Redis, S3, the manifest cache. */
@Module({})
class WorkspaceBenchModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkspaceBenchModule,
      imports: [ConfigModule.forRoot(config), PersistenceModule.forRoot(), RedisModule, ObjectStorageModule, ManifestCacheModule],
      providers: [WorkspaceRepository],
      exports: [WorkspaceRepository],
    };
  }
}

/** One node: its own root and content store, with the services built over them. */
interface BenchNode {
  readonly root: string;
  readonly content: ContentStore;
  readonly materializer: MaterializeService;
  readonly syncer: WorkspaceSyncService;
}

async function main(): Promise<void> {
  const settings = readSettings();
  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
  // Each node's root is a directory of its own under `tmp` (made below); the config's root is not used.
  const config: AppConfig = testConfig({ NODE_NAME: `bench-workspace-${runId.slice(-8)}` });
  const tmp = mkdtempSync(join(settings.dir, 'workspace-bench-'));
  const download = config.workspaces.downloadConcurrency;
  const upload = config.workspaces.uploadConcurrency;
  const bucket = config.s3.bucket;
  const baselinePrefix = `bench/workspace-baseline/${runId}`;
  const loadAtStart = loadAverage();
  const violations: string[] = [];
  const workspaceIds: string[] = [];
  let ds: DataSource | undefined;
  let app: INestApplicationContext | undefined;
  let s3: S3Client | undefined;
  let tenantId: string | undefined;

  const interrupted = (): void => {
    if (!settings.keep) rmSync(tmp, { recursive: true, force: true });
    process.stderr.write(`workspace benchmark interrupted; ${settings.keep ? `kept ${tmp}` : `removed ${tmp}`} (objects under ${baselinePrefix} and the bench tenant's may remain)\n`);
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);

  try {
    await migrateTestDatabase(config);
    ds = await createTestDataSource({ config });
    s3 = createS3Client(config.s3);
    const { tenancy } = tenancyOf(ds);
    const given = await givenTenantWithCase(ds);
    const tenant = given.tenant.id;
    tenantId = tenant;
    const newCase = async (): Promise<string> => (await tenancy.upsertCase(tenant, aCase())).id;
    const cases = { big: given.case.id, warmup: await newCase(), scan: await newCase(), changed: await newCase() };

    // Seed: real objects in S3 (distinct random bytes each, so the content store cannot
    // deduplicate) and their committed rows, in batches that keep the bodies' memory bounded.
    const seed = async (caseId: string, files: number, bytes: number, pathOf: (i: number) => string): Promise<void> => {
      const batch = Math.max(1, Math.floor((64 * MiB) / bytes));
      for (let i = 0; i < files; i += batch) {
        const specs = Array.from({ length: Math.min(batch, files - i) }, (_, j) => ({ path: pathOf(i + j), body: randomBytes(bytes), contentType: 'application/pdf' }));
        await storeCaseFiles(ds as DataSource, s3 as S3Client, config, { tenantId: tenant, caseId }, specs, download);
      }
    };
    const seedStarted = performance.now();
    await seed(cases.big, settings.files, settings.fileBytes, (i) => `Folder-${pad(Math.floor(i / 100), 3)}/doc-${pad(i, 6)}.pdf`);
    await seed(cases.warmup, settings.warmupFiles, settings.fileBytes, (i) => `Warmup/doc-${pad(i, 4)}.pdf`);
    await seed(cases.scan, settings.scanFiles, settings.scanFileBytes, (i) => `Folder-${pad(Math.floor(i / 1000), 3)}/Sub-${pad(Math.floor(i / 100) % 10, 2)}/note-${pad(i, 6)}.txt`);
    await seed(cases.changed, settings.changedFiles, settings.changedFileBytes, (i) => `Drafts/draft-${pad(i, 4)}.pdf`);
    const seedMs = performance.now() - seedStarted;

    app = await NestFactory.createApplicationContext(WorkspaceBenchModule.forRoot(config), { logger: ['error', 'warn'] });
    const tx = app.get(TenantTransactions);
    const repo = app.get(WorkspaceRepository);
    const store = app.get(ObjectStore);
    const cache = app.get(ManifestCache);

    const openNode = async (root: string): Promise<BenchNode> => {
      const content = new ContentStore({ root: join(root, '.cache'), budgetBytes: config.workspaces.cacheBudgetBytes });
      await content.init();
      return { root, content, materializer: new MaterializeService(tx, repo, store, content, config), syncer: new WorkspaceSyncService(tx, repo, store, cache, content, config) };
    };
    const newWorkspace = async (caseId: string): Promise<WorkspaceRow> => {
      const ws = await tx.run(tenant, (em) => repo.insert(em, { tenantId: tenant, caseId, nodeName: config.workspaces.nodeName, createdBy: SUBJECT, expiresAt: new Date(Date.now() + 3600_000) }));
      workspaceIds.push(ws.id);
      return ws;
    };
    const dirOf = (node: BenchNode, ws: WorkspaceRow): string => workspaceDir(node.root, { tenantId: tenant, caseId: ws.caseId, workspaceId: ws.id });
    /** What the runner records after a materialize: status ready and the baseline the sync compares with. */
    const markReady = async (ws: WorkspaceRow, dir: string, outcome: MaterializeOutcome): Promise<WorkspaceRow> =>
      tx.run(tenant, async (em) => {
        await repo.update(em, ws.id, { status: 'ready', path: dir, baseline: { entries: outcome.baseline } });
        const row = await repo.find(em, ws.id);
        if (!row) throw new Error(`workspace ${ws.id} vanished`);
        return row;
      });
    const reload = async (ws: WorkspaceRow): Promise<WorkspaceRow> => {
      const row = await tx.run(tenant, (em) => repo.find(em, ws.id));
      if (!row) throw new Error(`workspace ${ws.id} vanished`);
      return row;
    };
    const manifestOf = (caseId: string): Promise<ManifestEntry[]> => tx.run(tenant, (em) => repo.manifest(em, caseId));
    const fetchList = (manifest: readonly ManifestEntry[]) => manifest.map((e) => ({ key: e.objectKey, versionId: e.s3VersionId, path: e.path }));
    // The manager's job writes progress at most every 500 ms; here the sink just keeps the latest.
    const noProgress = (): void => undefined;

    const bigManifest = await manifestOf(cases.big);
    const bigBytes = bigManifest.reduce((n, e) => n + e.size, 0);
    if (bigManifest.length !== settings.files) throw new Error(`the case has ${bigManifest.length} files, expected ${settings.files}`);
    if (config.workspaces.cacheBudgetBytes < bigBytes + settings.scanFiles * settings.scanFileBytes + 2 * settings.changedFiles * settings.changedFileBytes) {
      process.stderr.write(`warning: WORKSPACE_CACHE_BUDGET_BYTES (${config.workspaces.cacheBudgetBytes}) is below what the bench stores: warm runs will download\n`);
    }

    // Warm-up of both paths (JIT, sockets, S3 server), on a case of its own; not recorded.
    {
      const warmNode = await openNode(join(tmp, 'warmup'));
      const ws = await newWorkspace(cases.warmup);
      await warmNode.materializer.materialize(ws, dirOf(warmNode, ws), noProgress);
      await plainDownload(s3, bucket, fetchList(await manifestOf(cases.warmup)), join(tmp, 'warmup-plain'), download);
      await rm(join(tmp, 'warmup'), { recursive: true, force: true });
      await rm(join(tmp, 'warmup-plain'), { recursive: true, force: true });
    }

    // ---- 1. cold materialize ----------------------------------------------------------------
    const cold: Array<{ plain: Measured<number>; ours: Measured<MaterializeOutcome> }> = [];
    let node: BenchNode | undefined;
    for (let round = 0; round < settings.rounds; round++) {
      const candidate = await openNode(join(tmp, `node-${round}`));
      const ws = await newWorkspace(cases.big);
      const dir = dirOf(candidate, ws);
      const plainDir = join(tmp, `plain-${round}`);
      const runPlain = () => measure(() => plainDownload(s3 as S3Client, bucket, fetchList(bigManifest), plainDir, download));
      const runOurs = () => measure(() => candidate.materializer.materialize(ws, dir, noProgress));
      const { plain, ours } = await inTurn(round, runPlain, runOurs);
      if (plain.value !== bigBytes) throw new Error(`plain download wrote ${plain.value} bytes, expected ${bigBytes}`);
      if (ours.value.files !== settings.files || ours.value.bytesDownloaded !== bigBytes) {
        throw new Error(`cold materialize: ${ours.value.files} files, ${ours.value.bytesDownloaded} bytes downloaded; expected ${settings.files} and ${bigBytes}`);
      }
      cold.push({ plain, ours });
      await rm(plainDir, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
      if (node) await rm(node.root, { recursive: true, force: true });
      node = candidate;
    }
    if (!node) throw new Error('no cold round ran');

    // ---- 2. warm re-materialize ---------------------------------------------------------------
    const cachedObjects = bigManifest.map((e) => ({ from: (node as BenchNode).content.pathOf(e.sha256Hex), path: e.path }));
    const warm: Array<{ plain: Measured<void>; ours: Measured<MaterializeOutcome> }> = [];
    for (let round = 0; round < settings.rounds; round++) {
      const current = node;
      const ws = await newWorkspace(cases.big);
      const dir = dirOf(current, ws);
      const copyDir = join(tmp, `copy-${round}`);
      const runPlain = () => measure(() => plainCopy(cachedObjects, copyDir, download));
      const runOurs = () => measure(() => current.materializer.materialize(ws, dir, noProgress));
      const { plain, ours } = await inTurn(round, runPlain, runOurs);
      if (ours.value.bytesDownloaded !== 0) violations.push(`warm materialize round ${round + 1} downloaded ${ours.value.bytesDownloaded} bytes (must be 0)`);
      warm.push({ plain, ours });
      await rm(copyDir, { recursive: true, force: true });
      await rm(dir, { recursive: true, force: true });
    }
    // A restart: a new ContentStore over the same root rebuilds its index from disk.
    const reopen = await measure(() => openNode((node as BenchNode).root));
    node = reopen.value;
    const reopenedEntries = node.content.stats().entries;
    const afterRestart = await (async () => {
      const current = node as BenchNode;
      const ws = await newWorkspace(cases.big);
      const dir = dirOf(current, ws);
      const m = await measure(() => current.materializer.materialize(ws, dir, noProgress));
      await rm(dir, { recursive: true, force: true });
      return m;
    })();
    if (afterRestart.value.bytesDownloaded !== 0) violations.push(`materialize after re-opening the store downloaded ${afterRestart.value.bytesDownloaded} bytes (must be 0)`);

    // ---- 3. sync scan of unchanged files ----------------------------------------------------
    const scanNode = node;
    const scanManifest = await manifestOf(cases.scan);
    let scanWs = await newWorkspace(cases.scan);
    const scanDir = dirOf(scanNode, scanWs);
    const scanPlainDir = join(tmp, 'plain-scan');
    const scanPlainDownload = await measure(() => plainDownload(s3 as S3Client, bucket, fetchList(scanManifest), scanPlainDir, download));
    const scanMaterialize = await measure(() => scanNode.materializer.materialize(scanWs, scanDir, noProgress));
    await rm(scanPlainDir, { recursive: true, force: true });
    scanWs = await markReady(scanWs, scanDir, scanMaterialize.value);

    // A read of a file would move its atime (relatime: the materialize left atime = mtime < ctime).
    const atimeWorks = await (async () => {
      const probe = join(tmp, 'atime-probe');
      await writeFile(probe, 'probe');
      const past = new Date(Date.now() - 3600_000);
      await utimes(probe, past, past);
      await readFile(probe);
      return (await lstat(probe)).atimeMs !== past.getTime();
    })();
    const atimesBefore = new Map((await plainWalk(scanDir)).map((f) => [f.path, f.atimeMs]));

    const scan: Array<{ walk: Measured<number>; plan: Measured<ReturnType<typeof planSync>>; sync: Measured<SyncOutcome> }> = [];
    for (let round = 0; round < settings.rounds; round++) {
      const walk = await measure(async () => (await plainWalk(scanDir)).length);
      const baseline = scanWs.baseline?.entries ?? [];
      const plan = await measure(async () => planSync(baseline, (await scanWorkspace(scanDir, { maxEntries: config.workspaces.maxFiles * 2 })).files));
      const ws = scanWs;
      const sync = await measure(() => scanNode.syncer.sync(ws, scanDir, noProgress));
      scanWs = await reload(scanWs);
      if (walk.value !== settings.scanFiles) throw new Error(`the plain walk found ${walk.value} files, expected ${settings.scanFiles}`);
      const p = plan.value;
      if (p.touched.length || p.created.length || p.missing.length || p.unchanged.length !== settings.scanFiles) {
        violations.push(`scan round ${round + 1}: plan touched ${p.touched.length}, created ${p.created.length}, missing ${p.missing.length}, unchanged ${p.unchanged.length} (must hash nothing)`);
      }
      const s = sync.value;
      if (s.unchanged !== settings.scanFiles || s.created.length || s.updated.length || s.conflicts.length || s.retry.length || s.bytesUploaded) {
        violations.push(`scan round ${round + 1}: sync of an unchanged workspace did something: ${JSON.stringify({ ...s, refused: s.refused.length })}`);
      }
      scan.push({ walk, plan, sync });
    }
    const atimesAfter = await plainWalk(scanDir);
    const reads = atimesAfter.filter((f) => atimesBefore.get(f.path) !== f.atimeMs).length;
    if (atimeWorks && reads > 0) violations.push(`${reads} files were read by the unchanged syncs (atime moved)`);
    await rm(scanDir, { recursive: true, force: true });

    // ---- 4. sync of changed files -----------------------------------------------------------
    const changed: Array<{
      plain: Measured<number>;
      ours: Measured<SyncOutcome>;
      phases: { hashMs: number; putsMs: number; commitMs: number; keepMs: number };
      materializedDownloaded: number;
    }> = [];
    for (let round = 0; round < settings.rounds; round++) {
      const current = node;
      let ws = await newWorkspace(cases.changed);
      const dir = dirOf(current, ws);
      const made = await current.materializer.materialize(ws, dir, noProgress);
      ws = await markReady(ws, dir, made);
      // The agent rewrites every file: new bytes, same size, in place.
      const files = made.baseline.map((e, i) => ({ key: `${baselinePrefix}/r${round}/${pad(i, 5)}`, file: join(dir, e.path), size: e.size }));
      for (const f of files) await writeFile(f.file, randomBytes(f.size));

      const marks: { uploadsStart?: number; uploadsEnd?: number } = {};
      const sink = (p: WorkspaceProgress): void => {
        if (p.filesTotal === undefined) return;
        if (p.filesDone === 0) marks.uploadsStart = performance.now();
        if (p.filesDone === p.filesTotal) marks.uploadsEnd = performance.now();
      };
      const runPlain = () => measure(() => plainPuts(s3 as S3Client, bucket, files, upload));
      const ready = ws;
      let syncStarted = 0;
      const runOurs = () =>
        measure(() => {
          syncStarted = performance.now();
          return current.syncer.sync(ready, dir, sink);
        });
      const { plain, ours } = await inTurn(round, runPlain, runOurs);
      const syncEnded = syncStarted + ours.ms;
      const o = ours.value;
      const expectedBytes = settings.changedFiles * settings.changedFileBytes;
      if (o.updated.length !== settings.changedFiles || o.bytesUploaded !== expectedBytes || o.conflicts.length || o.retry.length || o.created.length) {
        throw new Error(`sync of ${settings.changedFiles} changed files: ${JSON.stringify({ ...o, updated: o.updated.length, refused: o.refused.length })}`);
      }
      const uploadsStart = marks.uploadsStart ?? syncStarted;
      const uploadsEnd = marks.uploadsEnd ?? uploadsStart;
      changed.push({
        plain,
        ours,
        // The outcome's durationMs is taken inside the commit transaction: what follows it is the
        // cache invalidation and keeping the written files in the node's content store.
        phases: {
          hashMs: uploadsStart - syncStarted,
          putsMs: uploadsEnd - uploadsStart,
          commitMs: Math.max(0, syncStarted + o.durationMs - uploadsEnd),
          keepMs: Math.min(syncEnded - uploadsEnd, syncEnded - (syncStarted + o.durationMs)),
        },
        materializedDownloaded: made.bytesDownloaded,
      });
      await rm(dir, { recursive: true, force: true });
    }
    // What the agent wrote went into the content store: the next workspace of the case downloads none of it.
    for (const [i, c] of changed.entries()) {
      if (i > 0 && c.materializedDownloaded !== 0) violations.push(`round ${i + 1} of the changed-files sync: the next materialize downloaded ${c.materializedDownloaded} bytes of what the previous sync wrote`);
    }

    // ---- report ---------------------------------------------------------------------------------
    const coldRatio = median(cold.map((c) => c.plain.ms / c.ours.ms));
    const coldMet = coldRatio >= settings.targetRatio;
    const changedRatio = median(changed.map((c) => c.plain.ms / c.ours.ms));
    const changedBytes = settings.changedFiles * settings.changedFileBytes;
    const fsInfo = quietly('findmnt', ['-no', 'FSTYPE,OPTIONS', '-T', tmp]);
    const libDirty = quietly('git', ['status', '--porcelain', 'libs/workspace']) !== '';
    const out: string[] = [];
    const line = (s = ''): number => out.push(s);
    line(
      `workspace benchmark: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), ${mib(totalmem())} RAM, load average ${loadAtStart} at start, ${loadAverage()} at end; node ${process.version}`,
    );
    line(`  ${tmp} on ${fsInfo}; commit ${quietly('git', ['rev-parse', '--short', 'HEAD'])}${libDirty ? ' (libs/workspace has uncommitted changes)' : ''}; UV_THREADPOOL_SIZE ${process.env['UV_THREADPOOL_SIZE'] ?? '4 (default)'}`);
    line(
      `  download concurrency ${download}, upload concurrency ${upload} (WORKSPACE_*_CONCURRENCY); ${settings.rounds} rounds, median; plain goes first in odd rounds, ours in even ones; seeded in ${secs(seedMs)}`,
    );
    line(`  peak RSS is this process's VmHWM during the measurement (reset before it), with the rise over its RSS at the start`);
    line();
    line(`1. cold materialize: ${count(settings.files)} files x ${size(settings.fileBytes)} = ${mib(bigBytes)}, empty content store`);
    pairTable(cold, bigBytes, 'plain GetObject -> file', 'materialize').forEach((l) => line(l));
    line(`   ratio plain/ours (wall, median): ${coldRatio.toFixed(2)}, target >= ${settings.targetRatio}: ${coldMet ? 'met' : 'MISSED'}`);
    line(`   peak RSS (last round): plain ${rss(cold[cold.length - 1].plain)}, materialize ${rss(cold[cold.length - 1].ours)}`);
    line();
    line(`2. warm re-materialize: same case, same node and content store, new workspace directory`);
    line(`   bytes downloaded: ${warm.map((w) => w.ours.value.bytesDownloaded).join(', ')} (must be 0): ${warm.every((w) => w.ours.value.bytesDownloaded === 0) ? 'ok' : 'FAILED'}`);
    pairTable(warm, bigBytes, 'plain copyFile from the store', 'materialize').forEach((l) => line(l));
    line(`   peak RSS (last round): copy ${rss(warm[warm.length - 1].plain)}, materialize ${rss(warm[warm.length - 1].ours)}`);
    line(
      `   after a restart: store re-opened (init: index of ${count(reopenedEntries)} objects rebuilt from disk) in ${msOf(reopen.ms)}, then materialize ${secs(afterRestart.ms)}, downloaded ${afterRestart.value.bytesDownloaded} bytes`,
    );
    line();
    line(`3. sync of ${count(settings.scanFiles)} unchanged files (x ${size(settings.scanFileBytes)}, ${count(new Set(scanManifest.map((e) => e.path.split('/').slice(0, 2).join('/'))).size)} folders)`);
    pairTable(scan.map((r) => ({ plain: r.walk, ours: r.plan })), null, 'plain readdir + lstat walk', 'scanWorkspace + planSync').forEach((l) => line(l));
    line(
      `   files to hash: ${scan.map((r) => r.plan.value.touched.length + r.plan.value.created.length).join(', ')} (must be 0): ${scan.every((r) => r.plan.value.touched.length + r.plan.value.created.length === 0) ? 'ok' : 'FAILED'}; ` +
        (atimeWorks ? `files read (atime moved): ${reads} (must be 0): ${reads === 0 ? 'ok' : 'FAILED'}` : 'atime check not possible on this mount (noatime)'),
    );
    line(
      `   whole sync (journal check, scan, plan, baseline write, cache invalidation): ${msOf(median(scan.map((r) => r.sync.ms)))} median (${scan.map((r) => msOf(r.sync.ms)).join(', ')}), cpu ${msOf(median(scan.map((r) => r.sync.cpuMs)))}; peak RSS ${rss(scan[scan.length - 1].sync)}`,
    );
    line(
      `   (set-up, once: cold materialize of these files ${secs(scanMaterialize.ms)} (cpu ${secs(scanMaterialize.cpuMs)}) vs plain GetObject -> file ${secs(scanPlainDownload.ms)} (cpu ${secs(scanPlainDownload.cpuMs)}): ratio ${(scanPlainDownload.ms / scanMaterialize.ms).toFixed(2)})`,
    );
    line();
    line(`4. sync of ${count(settings.changedFiles)} changed files x ${size(settings.changedFileBytes)} (every file rewritten in place, same size)`);
    pairTable(changed, changedBytes, 'plain PutObject', 'sync').forEach((l) => line(l));
    line(`   ratio plain/ours (wall, median): ${changedRatio.toFixed(2)}`);
    line(`   where the sync's time goes, per round: ${changed.map((c) => `${msOf(c.phases.hashMs)} / ${msOf(c.phases.putsMs)} / ${msOf(c.phases.commitMs)} / ${msOf(c.phases.keepMs)}`).join(', ')}`);
    line(`     (scan + hash + journal / PUTs / commit transaction / cache invalidation + keeping the files in the content store)`);
    line(`   peak RSS (last round): plain ${rss(changed[changed.length - 1].plain)}, sync ${rss(changed[changed.length - 1].ours)}`);
    line(
      `   the next workspace of the case downloaded ${changed.slice(1).map((c) => c.materializedDownloaded).join(', ') || '-'} bytes of what the sync before wrote (kept on the node)`,
    );
    if (violations.length) {
      line();
      line(`FAILED checks:`);
      for (const v of violations) line(`  - ${v}`);
    }
    process.stdout.write(out.join('\n') + '\n');

    const round3 = (n: number): number => Number(n.toFixed(3));
    process.stdout.write(
      JSON.stringify({
        bench: 'workspace',
        machine: { cores: cpus().length, loadAverage: { start: loadAtStart, end: loadAverage() }, fs: fsInfo, node: process.version },
        settings: { ...settings, downloadConcurrency: download, uploadConcurrency: upload },
        cold: { plainMs: cold.map((c) => Math.round(c.plain.ms)), oursMs: cold.map((c) => Math.round(c.ours.ms)), plainCpuMs: cold.map((c) => Math.round(c.plain.cpuMs)), oursCpuMs: cold.map((c) => Math.round(c.ours.cpuMs)), ratio: round3(coldRatio), targetRatio: settings.targetRatio, met: coldMet },
        warm: {
          bytesDownloaded: warm.map((w) => w.ours.value.bytesDownloaded),
          oursMs: warm.map((w) => Math.round(w.ours.ms)),
          plainCopyMs: warm.map((w) => Math.round(w.plain.ms)),
          reopenMs: Math.round(reopen.ms),
          afterRestartMs: Math.round(afterRestart.ms),
        },
        scan: {
          files: settings.scanFiles,
          walkMs: scan.map((s) => Math.round(s.walk.ms)),
          scanPlanMs: scan.map((s) => Math.round(s.plan.ms)),
          syncMs: scan.map((s) => Math.round(s.sync.ms)),
          hashed: scan.map((s) => s.plan.value.touched.length + s.plan.value.created.length),
          filesRead: atimeWorks ? reads : null,
        },
        changed: {
          files: settings.changedFiles,
          plainMs: changed.map((c) => Math.round(c.plain.ms)),
          oursMs: changed.map((c) => Math.round(c.ours.ms)),
          plainCpuMs: changed.map((c) => Math.round(c.plain.cpuMs)),
          oursCpuMs: changed.map((c) => Math.round(c.ours.cpuMs)),
          phasesMs: changed.map((c) => ({ hash: Math.round(c.phases.hashMs), puts: Math.round(c.phases.putsMs), commit: Math.round(c.phases.commitMs), keep: Math.round(c.phases.keepMs) })),
          ratio: round3(changedRatio),
        },
        peakRssBytes: {
          coldPlain: cold[cold.length - 1].plain.peakRssBytes,
          coldOurs: cold[cold.length - 1].ours.peakRssBytes,
          warmOurs: warm[warm.length - 1].ours.peakRssBytes,
          scanSync: scan[scan.length - 1].sync.peakRssBytes,
          changedSync: changed[changed.length - 1].ours.peakRssBytes,
        },
        violations,
      }) + '\n',
    );
    if (violations.length) {
      process.stderr.write(`workspace benchmark: ${violations.length} check(s) failed (see above)\n`);
      process.exitCode = 1;
    } else if (settings.enforce && !coldMet) {
      process.exitCode = 1;
    }
  } finally {
    // Workspaces of this run end as deleted (no manager owns the bench's node name).
    if (ds && tenantId && workspaceIds.length) {
      const id = tenantId;
      await tenancyOf(ds)
        .transactions.run(id, (em) => em.query(`UPDATE workspaces SET status = 'deleted', ended_at = coalesce(ended_at, now()) WHERE id = ANY($1::uuid[])`, [workspaceIds]))
        .catch((err: unknown) => process.stderr.write(`could not mark the bench's workspaces deleted: ${String(err)}\n`));
    }
    if (s3) {
      const prefixes = [baselinePrefix, ...(tenantId && !settings.keep ? [`tenants/${tenantId}/`] : [])];
      for (const prefix of prefixes) {
        await deletePrefix(s3, bucket, prefix).catch((err: unknown) => process.stderr.write(`could not remove the objects under ${prefix}: ${String(err)}\n`));
      }
      s3.destroy();
    }
    await app?.close();
    await ds?.destroy();
    if (settings.keep) process.stderr.write(`kept ${tmp} (BENCH_KEEP=1)\n`);
    else await rm(tmp, { recursive: true, force: true });
    process.removeListener('SIGINT', interrupted);
    process.removeListener('SIGTERM', interrupted);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`workspace benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});

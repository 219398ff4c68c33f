/**
 * Upload benchmark: what the upload API costs on top of storage itself.
 *
 * One run, against the built upload-api started here as a child process and the local
 * services (127.0.0.1 only):
 *   baseline   N pre-signed PUTs alone, pre-signed locally with the SDK with the same
 *              signed headers the API uses, at a fixed concurrency;
 *   full flow  the same number of files through init (batches) → pre-signed PUT (same
 *              concurrency) → complete (batches), pipelined as a good client does
 *              (libs/testing upload-client).
 * Prints both times, throughput, the ratio (target ≤ 1.3) and the upload-api's peak RSS
 * (VmHWM from /proc/<pid>/status). See README.md beside this file.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DeleteObjectsCommand, ListObjectVersionsCommand, PutObjectCommand, PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AppConfig } from '@case-storage/config';
import { createS3Client } from '@case-storage/object-storage';
import {
  aSubject,
  createTestDataSource,
  getUploadPolicy,
  givenTenantWithCase,
  migrateTestDatabase,
  mintTestToken,
  putPresigned,
  RunningApp,
  startBuiltApp,
  tenancyOf,
  testConfig,
  UploadFilesResult,
  uploadFiles,
  UploadSource,
  UploadTarget,
  waitForStatus,
  positiveIntEnv,
  processMemory,
} from '@case-storage/testing';
import { DataSource } from 'typeorm';

const KiB = 1024;
const MiB = 1024 * KiB;

const settings = {
  files: positiveIntEnv('BENCH_FILES', 1000),
  fileSize: positiveIntEnv('BENCH_FILE_SIZE', 64 * KiB),
  concurrency: positiveIntEnv('BENCH_CONCURRENCY', 16),
  batchSize: positiveIntEnv('BENCH_BATCH', 100),
  /** Init calls, and separately complete calls, in flight at once. */
  apiConcurrency: positiveIntEnv('BENCH_API_CONCURRENCY', 2),
  warmupFiles: positiveIntEnv('BENCH_WARMUP_FILES', 50),
  targetRatio: Number(process.env['BENCH_TARGET_RATIO'] ?? '1.3'),
  /** Exit 1 when the ratio misses the target (for CI-style use); by default only report. */
  enforce: process.env['BENCH_ENFORCE'] === '1',
  logLevel: process.env['BENCH_LOG_LEVEL'] ?? 'info',
  contentType: 'application/pdf',
};

/** PutObjectCommand's field for each header the API signs; anything else is refused loudly. */
const SIGNED_HEADER_FIELDS: Record<string, (value: string) => Partial<PutObjectCommandInput>> = {
  'content-type': (v) => ({ ContentType: v }),
  'content-length': (v) => ({ ContentLength: Number(v) }),
  'x-amz-checksum-sha256': (v) => ({ ChecksumSHA256: v }),
  'if-none-match': (v) => ({ IfNoneMatch: v }),
  'if-match': (v) => ({ IfMatch: v }),
};

async function mapConcurrent<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

function makeFiles(prefix: string, count: number): UploadSource[] {
  return Array.from({ length: count }, (_, i) => ({
    path: `${prefix}/doc-${String(i).padStart(5, '0')}.pdf`,
    contentType: settings.contentType,
    body: randomBytes(settings.fileSize),
  }));
}

/**
 * The baseline's requests: the API's header set for a single PUT, with each file's own
 * values, pre-signed locally the way libs/object-storage signs (every header signed;
 * x-amz-* kept out of the query string).
 */
async function presignBaseline(
  s3: S3Client,
  bucket: string,
  sample: UploadTarget,
  keyPrefix: string,
  files: readonly UploadSource[],
): Promise<{ key: string; url: string; headers: Record<string, string>; body: Uint8Array }[]> {
  if (sample.method !== 'PUT') throw new Error(`the warm-up file went ${sample.method}; the baseline needs a single PUT`);
  const headerNames = Object.keys(sample.headers);
  const signedInUrl = new URL(sample.url).searchParams.get('X-Amz-SignedHeaders')?.split(';') ?? [];
  for (const name of signedInUrl) {
    if (name !== 'host' && !headerNames.some((h) => h.toLowerCase() === name)) {
      throw new Error(`the API signs "${name}", which it does not return as a header: the baseline cannot mirror it`);
    }
  }
  return Promise.all(
    files.map(async (file, i) => {
      const values: Record<string, string> = {
        'content-type': file.contentType,
        'content-length': String(file.body.length),
        'x-amz-checksum-sha256': createHash('sha256').update(file.body).digest('base64'),
        'if-none-match': '*',
      };
      const headers: Record<string, string> = {};
      let input: PutObjectCommandInput = { Bucket: bucket, Key: `${keyPrefix}/${String(i).padStart(5, '0')}` };
      for (const name of headerNames) {
        const lower = name.toLowerCase();
        const field = SIGNED_HEADER_FIELDS[lower];
        const value = values[lower];
        if (!field || value === undefined) throw new Error(`the API returns header "${name}", which the baseline does not know how to sign`);
        headers[name] = value;
        input = { ...input, ...field(value) };
      }
      const lowerNames = headerNames.map((h) => h.toLowerCase());
      const url = await getSignedUrl(s3, new PutObjectCommand(input), {
        expiresIn: 3600,
        signableHeaders: new Set(lowerNames),
        unhoistableHeaders: new Set(lowerNames.filter((h) => h.startsWith('x-amz-'))),
      });
      return { key: input.Key as string, url, headers, body: file.body };
    }),
  );
}

/** Removes every version under the baseline prefix (the flow's objects belong to their DB rows). */
async function deletePrefix(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  let deleted = 0;
  for (;;) {
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix, MaxKeys: 1000 }));
    const objects = [...(listed.Versions ?? []), ...(listed.DeleteMarkers ?? [])].map((v) => ({ Key: v.Key, VersionId: v.VersionId }));
    if (objects.length === 0) return deleted;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
    deleted += objects.length;
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mib = (bytes: number): string => `${(bytes / MiB).toFixed(1)} MiB`;

function throughput(ms: number): string {
  const filesPerSecond = settings.files / (ms / 1000);
  const bytesPerSecond = (settings.files * settings.fileSize) / (ms / 1000);
  return `${filesPerSecond.toFixed(0).padStart(5)} files/s  ${mib(bytesPerSecond).padStart(9)}/s`;
}

async function main(): Promise<void> {
  const config: AppConfig = testConfig();
  const runId = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID().slice(0, 8)}`;
  let ds: DataSource | undefined;
  let app: RunningApp | undefined;
  let s3: S3Client | undefined;
  const baselinePrefix = `bench/baseline/${runId}`;
  try {
    await migrateTestDatabase(config);
    ds = await createTestDataSource({ config });
    const given = await givenTenantWithCase(ds);
    const subject = aSubject('bench');
    await tenancyOf(ds).tenancy.setCaseMember(given.tenant.id, given.case.id, subject, 'editor');
    const token = await mintTestToken(config, { subject, tenantId: given.tenant.id }, 3600);
    const caseId = given.case.id;

    app = await startBuiltApp('upload-api', { LOG_LEVEL: settings.logLevel });
    await waitForStatus(app, '/health/ready');
    const pid = app.process.pid;
    if (pid === undefined) throw new Error('upload-api has no pid');
    s3 = createS3Client(config.s3);
    const policy = await getUploadPolicy(app.url, token);
    if (settings.fileSize > policy.multipartThreshold) throw new Error('BENCH_FILE_SIZE is above the multipart threshold');
    const options = { batchSize: settings.batchSize, concurrency: settings.concurrency, apiConcurrency: settings.apiConcurrency, policy };

    // Warm-up through both paths: JIT, connection pools, the DB's and storage's caches.
    const warm = await uploadFiles(app.url, token, caseId, makeFiles(`bench-${runId}/warmup`, settings.warmupFiles), options);
    const warmBaseline = await presignBaseline(s3, config.s3.bucket, warm.targets[0], `${baselinePrefix}/warmup`, makeFiles('w', settings.warmupFiles));
    await mapConcurrent(warmBaseline, settings.concurrency, async (r) => {
      await putPresigned(r.url, r.headers, r.body);
    });
    const afterWarmup = processMemory(pid);

    // Baseline: pre-signing happens before the clock starts, as the API's init is not part of it.
    const baseline = await presignBaseline(s3, config.s3.bucket, warm.targets[0], `${baselinePrefix}/run`, makeFiles('b', settings.files));
    let started = performance.now();
    await mapConcurrent(baseline, settings.concurrency, async (r) => {
      await putPresigned(r.url, r.headers, r.body);
    });
    const baselineMs = performance.now() - started;

    const files = makeFiles(`bench-${runId}/run`, settings.files);
    started = performance.now();
    const flow: UploadFilesResult = await uploadFiles(app.url, token, caseId, files, options);
    const flowMs = performance.now() - started;
    const memory = processMemory(pid);

    // The flow really committed every file with the bytes' hash.
    if (flow.records.length !== settings.files) throw new Error(`complete answered ${flow.records.length} records, expected ${settings.files}`);
    const committed = await tenancyOf(ds).transactions.run(given.tenant.id, (em) =>
      em.query<{ n: string }[]>(
        `SELECT count(*)::text AS n FROM files f JOIN file_versions v ON v.id = f.current_version_id
          WHERE f.tenant_id = $1 AND f.case_id = $2 AND v.status = 'committed' AND f.path LIKE $3`,
        [given.tenant.id, caseId, `bench-${runId}/run/%`],
      ),
    );
    if (Number(committed[0]?.n) !== settings.files) throw new Error(`PostgreSQL has ${committed[0]?.n} committed versions, expected ${settings.files}`);

    const callStats = (step: 'init' | 'complete'): string => {
      const ms = flow.timings.calls.filter((c) => c.step === step).map((c) => c.ms);
      const sum = ms.reduce((a, b) => a + b, 0);
      return `${ms.length} calls, mean ${(sum / ms.length).toFixed(0)} ms, max ${Math.max(...ms).toFixed(0)} ms, sum ${seconds(sum)}`;
    };
    const ratio = flowMs / baselineMs;
    const met = ratio <= settings.targetRatio;
    const lines = [
      `upload benchmark: ${settings.files} files x ${settings.fileSize / KiB} KiB, PUT concurrency ${settings.concurrency}, init/complete batches of ${settings.batchSize} (${settings.apiConcurrency} of each in flight)`,
      `  upload-api pid ${pid}, LOG_LEVEL=${settings.logLevel}, ${settings.warmupFiles} warm-up files each way`,
      `  baseline  (pre-signed PUTs only)       ${seconds(baselineMs).padStart(8)}  ${throughput(baselineMs)}`,
      `  full flow (init -> PUT -> complete)    ${seconds(flowMs).padStart(8)}  ${throughput(flowMs)}  (${flow.timings.initCalls} init, ${flow.timings.puts} PUT, ${flow.timings.completeCalls} complete calls)`,
      `    init of ${settings.batchSize}:   ${callStats('init')}`,
      `    complete of ${settings.batchSize}: ${callStats('complete')}`,
      `  ratio full/baseline                    ${ratio.toFixed(2).padStart(8)}  target <= ${settings.targetRatio}: ${met ? 'met' : 'MISSED'}`,
      `  upload-api peak RSS (VmHWM)            ${mib(memory.hwmBytes).padStart(8)}  (after boot + warm-up ${mib(afterWarmup.hwmBytes)}; VmRSS now ${mib(memory.rssBytes)})`,
    ];
    process.stdout.write(lines.join('\n') + '\n');
    process.stdout.write(
      JSON.stringify({
        bench: 'upload',
        files: settings.files,
        fileSize: settings.fileSize,
        concurrency: settings.concurrency,
        batchSize: settings.batchSize,
        apiConcurrency: settings.apiConcurrency,
        baselineMs: Math.round(baselineMs),
        flowMs: Math.round(flowMs),
        ratio: Number(ratio.toFixed(3)),
        targetRatio: settings.targetRatio,
        peakRssBytes: memory.hwmBytes,
      }) + '\n',
    );
    if (settings.enforce && !met) process.exitCode = 1;
  } catch (err) {
    if (app) process.stderr.write(`--- upload-api output (tail) ---\n${app.output().slice(-4000)}\n`);
    throw err;
  } finally {
    if (s3) {
      const removed = await deletePrefix(s3, config.s3.bucket, baselinePrefix).catch((err: unknown) => {
        process.stderr.write(`could not remove the baseline objects under ${baselinePrefix}: ${String(err)}\n`);
        return 0;
      });
      if (removed > 0) process.stderr.write(`removed ${removed} baseline object versions under ${baselinePrefix}\n`);
      s3.destroy();
    }
    await app?.stop('SIGTERM');
    await ds?.destroy();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`upload benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});

import { createHash } from 'node:crypto';

/**
 * A Node client for the upload HTTP contract (libs/uploads/README.md), written from the
 * contract alone, the way a browser or partner client would be: it does not import the
 * server's DTOs, so a change to the wire format breaks the tests that use it.
 *
 * `uploadFiles` runs the whole flow the way a good client does: init in batches, PUT the
 * bytes straight to storage at a fixed concurrency, complete each batch as soon as its
 * last PUT has returned, and keep initialising the next batch while PUTs are in flight.
 */

/** `GET /api/uploads/policy`. */
export interface UploadPolicy {
  readonly maxFilesPerBatch: number;
  readonly maxFileSize: number;
  readonly multipartThreshold: number;
  readonly partSize: number;
  readonly maxParts: number;
  readonly allowedContentTypes: readonly string[];
  readonly urlTtlSeconds: number;
}

/** One entry of `POST /api/cases/{caseId}/files`. */
export interface InitFileRequest {
  readonly path: string;
  readonly size: number;
  /** Lower-case hex. */
  readonly sha256: string;
  readonly contentType: string;
  /** Required above `multipartThreshold`: one SHA-256 (hex) per `partSize` slice. */
  readonly parts?: readonly { readonly sha256: string }[];
}

export interface SinglePutTarget {
  readonly fileId: string;
  readonly uploadId: string;
  readonly path: string;
  readonly method: 'PUT';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly expiresAt: string;
}

export interface PartTarget {
  readonly partNumber: number;
  readonly size: number;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface MultipartTarget {
  readonly fileId: string;
  readonly uploadId: string;
  readonly path: string;
  readonly method: 'MULTIPART';
  readonly parts: readonly PartTarget[];
  readonly expiresAt: string;
}

export type UploadTarget = SinglePutTarget | MultipartTarget;

/** One entry of `POST /api/cases/{caseId}/files/complete`. */
export type CompleteFileRequest =
  | { readonly fileId: string; readonly uploadId: string; readonly etag: string; readonly versionId: string }
  | { readonly fileId: string; readonly uploadId: string; readonly parts: readonly { readonly partNumber: number; readonly etag: string }[] };

export interface FileRecord {
  readonly id: string;
  readonly caseId: string;
  readonly path: string;
  readonly kind: string;
  readonly contentType: string;
  readonly size: number;
  readonly sha256: string;
  readonly version: {
    readonly id: string;
    readonly number: number;
    readonly s3VersionId: string;
    readonly etag: string;
    readonly committedAt: string;
    readonly committedBy: string;
    readonly verified: boolean;
  };
}

/** A non-2xx answer from the API or from storage, with what the server said. */
export class UploadClientError extends Error {
  constructor(
    readonly step: 'policy' | 'init' | 'put' | 'complete',
    readonly status: number,
    readonly body: string,
    readonly target?: string,
  ) {
    super(`${step} failed with HTTP ${status}${target ? ` (${target})` : ''}: ${body.slice(0, 500)}`);
    this.name = 'UploadClientError';
  }
}

async function apiCall<T>(step: UploadClientError['step'], url: string, token: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, {
    ...init,
    headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
  });
  const text = await res.text();
  if (!res.ok) throw new UploadClientError(step, res.status, text);
  return JSON.parse(text) as T;
}

export function getUploadPolicy(apiUrl: string, token: string): Promise<UploadPolicy> {
  return apiCall('policy', `${apiUrl}/api/uploads/policy`, token);
}

export async function initUploads(apiUrl: string, token: string, caseId: string, files: readonly InitFileRequest[]): Promise<UploadTarget[]> {
  const body = await apiCall<{ files: UploadTarget[] }>('init', `${apiUrl}/api/cases/${caseId}/files`, token, {
    method: 'POST',
    body: JSON.stringify({ files }),
  });
  return body.files;
}

export async function completeUploads(
  apiUrl: string,
  token: string,
  caseId: string,
  files: readonly CompleteFileRequest[],
): Promise<FileRecord[]> {
  const body = await apiCall<{ files: FileRecord[] }>('complete', `${apiUrl}/api/cases/${caseId}/files/complete`, token, {
    method: 'POST',
    body: JSON.stringify({ files }),
  });
  return body.files;
}

/**
 * PUTs bytes to a pre-signed URL with exactly the headers the API returned, less
 * `Content-Length` (the HTTP client sets it from the body, as a browser does).
 * Resolves with the `ETag` and `x-amz-version-id` storage answered.
 */
export async function putPresigned(
  url: string,
  headers: Readonly<Record<string, string>>,
  body: Uint8Array,
): Promise<{ etag: string; versionId: string | null }> {
  const sent = Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'content-length'));
  const res = await fetch(url, { method: 'PUT', headers: sent, body });
  if (!res.ok) throw new UploadClientError('put', res.status, await res.text(), new URL(url).pathname);
  // Drain the (empty) body so the connection goes back to the pool.
  await res.arrayBuffer();
  const etag = res.headers.get('etag');
  if (!etag) throw new UploadClientError('put', res.status, 'storage answered without an ETag', new URL(url).pathname);
  return { etag, versionId: res.headers.get('x-amz-version-id') };
}

const sha256Hex = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** What a client declares at init for `body`, with part hashes above the policy's threshold. */
export function describeUpload(
  file: { readonly path: string; readonly contentType: string; readonly body: Uint8Array },
  policy: Pick<UploadPolicy, 'multipartThreshold' | 'partSize'>,
): InitFileRequest {
  const { body } = file;
  const base = { path: file.path, size: body.length, sha256: sha256Hex(body), contentType: file.contentType };
  if (body.length <= policy.multipartThreshold) return base;
  const parts: { sha256: string }[] = [];
  for (let offset = 0; offset < body.length; offset += policy.partSize) {
    parts.push({ sha256: sha256Hex(body.subarray(offset, offset + policy.partSize)) });
  }
  return { ...base, parts };
}

export interface UploadSource {
  readonly path: string;
  readonly contentType: string;
  readonly body: Uint8Array;
}

export interface UploadFilesOptions {
  /** Files per init and per complete call (default 100). */
  readonly batchSize?: number;
  /** PUTs in flight at once (default 16). */
  readonly concurrency?: number;
  /** Init calls, and separately complete calls, in flight at once (default 2). */
  readonly apiConcurrency?: number;
  /** Skips `GET /api/uploads/policy` when given. */
  readonly policy?: Pick<UploadPolicy, 'multipartThreshold' | 'partSize'>;
}

export interface UploadFilesResult {
  /** Committed records, in the order of the input files. */
  readonly records: FileRecord[];
  /** Every init answer, in batch order (e.g. to read the signed headers). */
  readonly targets: UploadTarget[];
  readonly timings: {
    readonly totalMs: number;
    readonly initCalls: number;
    readonly puts: number;
    readonly completeCalls: number;
    /** Duration of each API call, in the order they ended (where a batch's time goes). */
    readonly calls: readonly { readonly step: 'init' | 'complete'; readonly batch: number; readonly ms: number }[];
  };
}

interface PutTask {
  readonly batch: number;
  readonly indexInBatch: number;
  /** Null for a single PUT. */
  readonly partIndex: number | null;
}

/**
 * Uploads `files` to `caseId` through init → pre-signed PUT → complete (see the file
 * comment for the pipelining). The first error stops new work and rejects; what was
 * already initialised stays pending for the server's sweeper, as with a closed browser tab.
 */
export async function uploadFiles(
  apiUrl: string,
  token: string,
  caseId: string,
  files: readonly UploadSource[],
  options: UploadFilesOptions = {},
): Promise<UploadFilesResult> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 100;
  const concurrency = options.concurrency ?? 16;
  const policy = options.policy ?? (await getUploadPolicy(apiUrl, token));

  const batches: UploadSource[][] = [];
  for (let i = 0; i < files.length; i += batchSize) batches.push(files.slice(i, i + batchSize));
  const requests = batches.map((batch) => batch.map((file) => describeUpload(file, policy)));

  // Inits run one after another, each started when the previous one is done or when a PUT
  // worker needs its batch, so the next batch's URLs are ready before the PUTs reach it.
  const calls: { step: 'init' | 'complete'; batch: number; ms: number }[] = [];
  const timed = async <T>(step: 'init' | 'complete', batch: number, call: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const result = await call();
    calls.push({ step, batch, ms: performance.now() - t0 });
    return result;
  };

  // Batches are initialised in order, a few ahead of the PUTs, so the next batch's URLs
  // are ready before the PUT workers reach it.
  const apiConcurrency = options.apiConcurrency ?? 2;
  const initSlots = limiter(apiConcurrency);
  const completeSlots = limiter(apiConcurrency);
  const inits: Promise<UploadTarget[]>[] = [];
  const initBatch = (b: number): Promise<UploadTarget[]> => {
    for (let i = inits.length; i <= Math.min(b + apiConcurrency, batches.length - 1); i++) {
      const init = initSlots(() => timed('init', i, () => initUploads(apiUrl, token, caseId, requests[i])));
      // Whoever awaits it sees the error; this only keeps an unawaited prefetch from crashing the process.
      init.catch(() => undefined);
      inits.push(init);
    }
    return inits[b];
  };

  const tasks: PutTask[] = [];
  requests.forEach((batch, b) =>
    batch.forEach((request, indexInBatch) => {
      if (!request.parts) tasks.push({ batch: b, indexInBatch, partIndex: null });
      else request.parts.forEach((_, partIndex) => tasks.push({ batch: b, indexInBatch, partIndex }));
    }),
  );

  const singleResults = batches.map((batch) => batch.map(() => ({ etag: '', versionId: '' })));
  const partEtags = batches.map((batch) => batch.map((): string[] => []));
  const putsLeft = batches.map((_, b) => tasks.filter((t) => t.batch === b).length);
  const completes: Promise<FileRecord[]>[] = [];

  const completeBatch = async (b: number): Promise<FileRecord[]> => {
    const targets = await inits[b];
    const body: CompleteFileRequest[] = targets.map((target, i): CompleteFileRequest => {
      switch (target.method) {
        case 'PUT': {
          const { etag, versionId } = singleResults[b][i];
          return { fileId: target.fileId, uploadId: target.uploadId, etag, versionId };
        }
        case 'MULTIPART':
          return {
            fileId: target.fileId,
            uploadId: target.uploadId,
            parts: target.parts.map((part, p) => ({ partNumber: part.partNumber, etag: partEtags[b][i][p] })),
          };
      }
    });
    return timed('complete', b, () => completeUploads(apiUrl, token, caseId, body));
  };

  let next = 0;
  let failed: unknown = null;
  const worker = async (): Promise<void> => {
    while (failed === null && next < tasks.length) {
      const task = tasks[next++];
      const targets = await initBatch(task.batch);
      const target = targets[task.indexInBatch];
      const body = batches[task.batch][task.indexInBatch].body;
      if (target.method === 'PUT') {
        const put = await putPresigned(target.url, target.headers, body);
        if (!put.versionId) throw new UploadClientError('put', 200, 'storage answered without x-amz-version-id', target.path);
        singleResults[task.batch][task.indexInBatch] = { etag: put.etag, versionId: put.versionId };
      } else {
        const p = task.partIndex ?? 0;
        const part = target.parts[p];
        const offset = p * policy.partSize;
        const put = await putPresigned(part.url, part.headers, body.subarray(offset, offset + part.size));
        partEtags[task.batch][task.indexInBatch][p] = put.etag;
      }
      if (--putsLeft[task.batch] === 0) {
        // A batch is completed as soon as its last PUT returns, while later batches' PUTs go on.
        const done = completeSlots(() => completeBatch(task.batch));
        done.catch(() => undefined); // awaited below; see inits
        completes[task.batch] = done;
      }
    }
  };
  const workers = Array.from({ length: Math.min(concurrency, Math.max(tasks.length, 1)) }, () =>
    worker().catch((err: unknown) => {
      failed ??= err;
    }),
  );
  await Promise.all(workers);
  if (failed !== null) {
    await Promise.allSettled(completes);
    throw failed;
  }
  const records = (await Promise.all(completes)).flat();
  const targets = (await Promise.all(inits)).flat();
  return {
    records,
    targets,
    timings: { totalMs: performance.now() - started, initCalls: inits.length, puts: tasks.length, completeCalls: completes.length, calls },
  };
}

/** Runs at most `n` of the given calls at once, the rest in the order they were asked for. */
function limiter(n: number): <T>(call: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  const acquire = (): Promise<void> => {
    if (active < n) {
      active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  // A freed slot goes straight to the next waiter, so no newcomer can slip in between.
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return async (call) => {
    await acquire();
    try {
      return await call();
    } finally {
      release();
    }
  };
}

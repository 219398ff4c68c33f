import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Queue } from 'bullmq';
import { CaseAccessService } from '@case-storage/auth';
import { APP_CONFIG, AppConfig, MAX_PARTS } from '@case-storage/config';
import { objectKeyOf, parseUuid, Principal, RequestError, RequestErrorCode } from '@case-storage/domain';
import { ManifestCache } from '@case-storage/manifest-cache';
import { compositeChecksum, ObjectStore, PreconditionFailedError, StoredVersion, WriteCondition } from '@case-storage/object-storage';
import { appendAudit, TenantTransactions } from '@case-storage/persistence';
import { UPLOAD_MAINTENANCE_QUEUE, UploadJob, verifyChecksumJobId, VerifyUploadChecksumPayload } from '@case-storage/queue-contracts';
import { EntityManager } from 'typeorm';
import { checkUploadBatch, hexToBase64, partSizes, UploadPolicy, ValidEntry } from './upload-entry.rules';
import { EntryProblem, UploadError, UploadErrorCode } from './upload.errors';
import { CompleteUploadBody, Completion, InitUploadBody, isMultipartCompletion } from './upload.requests';
import { UploadRepository, VersionRow } from './upload.repository';
import { FileRecordView, InitializedUpload, toFileRecordView } from './upload.views';

export interface UploadPolicyView extends UploadPolicy {
  readonly maxParts: number;
  readonly urlTtlSeconds: number;
}

/** A completion that storage has confirmed, ready to commit. */
interface VerifiedCompletion {
  readonly version: VersionRow;
  readonly stored: { versionId: string; etag: string };
  readonly verified: boolean;
}

/**
 * The upload pipeline's rules (DESIGN.md §3, §4 Upload). Each public method checks case
 * access first, changes the database in one tenant transaction, talks to storage outside
 * of it, and invalidates the manifest cache only after its commit.
 */
@Injectable()
export class UploadService {
  private readonly logger = new Logger(UploadService.name);
  private readonly policy: UploadPolicyView;

  constructor(
    private readonly access: CaseAccessService,
    private readonly tx: TenantTransactions,
    private readonly repo: UploadRepository,
    private readonly store: ObjectStore,
    private readonly cache: ManifestCache,
    @InjectQueue(UPLOAD_MAINTENANCE_QUEUE) private readonly queue: Queue,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    const u = config.uploads;
    this.policy = {
      maxFilesPerBatch: u.maxFilesPerBatch,
      maxFileSize: u.maxFileSize,
      multipartThreshold: u.multipartThreshold,
      partSize: u.partSize,
      maxParts: MAX_PARTS,
      allowedContentTypes: u.allowedContentTypes,
      urlTtlSeconds: u.urlTtlSeconds,
    };
  }

  getPolicy(): UploadPolicyView {
    return this.policy;
  }

  /** Validates a batch, records pending versions and returns the pre-signed requests. */
  async init(principal: Principal, caseIdParam: string, body: InitUploadBody): Promise<{ files: InitializedUpload[] }> {
    const { caseRecord } = await this.access.assertCaseAccess(principal, caseIdParam, 'editor');
    const tenantId = principal.tenantId;
    const caseId = caseRecord.id;
    const { entries, problems } = checkUploadBatch(body.files, this.policy);
    if (problems.length > 0) throw UploadError.forEntries(problems);

    const now = Date.now();
    const expiresAt = new Date(now + this.config.uploads.pendingTtlSeconds * 1000);
    const urlTtl = Math.min(this.config.uploads.urlTtlSeconds, this.config.uploads.pendingTtlSeconds);
    const urlExpiresAt = new Date(now + urlTtl * 1000).toISOString();

    const planned = await this.tx.run(tenantId, async (em) => {
      const paths = entries.map((e) => e.path);
      const conflicts = await this.repo.findFolderConflicts(em, caseId, paths);
      if (conflicts.length > 0) {
        throw UploadError.forEntries(
          conflicts.map((c) => ({
            index: entries.find((e) => e.path === c.path)?.index ?? -1,
            code: UploadErrorCode.PathConflict,
            path: c.path,
            message: `"${c.path}" clashes with the existing "${c.existing}": a name cannot be both a file and a folder`,
          })),
        );
      }
      const files = await this.repo.ensureAndLockFiles(em, { tenantId, caseId, createdBy: principal.subject }, entries);
      const plans = entries.map((entry) => {
        const file = files.get(entry.path);
        if (!file) throw new Error(`file row for "${entry.path}" vanished inside its own transaction`);
        const condition: WriteCondition = file.currentEtag ? { ifMatch: file.currentEtag } : { ifNoneMatch: '*' };
        return { entry, fileId: file.id, key: objectKeyOf(tenantId, caseId, file.id), baseVersionId: file.currentVersionId, condition };
      });
      const versionIds = await this.repo.insertPendingVersions(
        em,
        plans.map((p) => ({
          tenantId,
          fileId: p.fileId,
          objectKey: p.key,
          size: p.entry.size,
          sha256Hex: p.entry.sha256Hex,
          contentType: p.entry.contentType,
          baseVersionId: p.baseVersionId,
          partSize: p.entry.parts ? this.policy.partSize : null,
          partChecksums: p.entry.parts ? p.entry.parts.map((part) => part.sha256Base64) : null,
          expiresAt,
          createdBy: principal.subject,
        })),
      );
      await this.repo.appendAuditEvents(
        em,
        plans.map((p, i) => ({
          tenantId,
          caseId,
          fileId: p.fileId,
          actor: principal.subject,
          action: 'upload.initiated',
          details: { uploadId: versionIds[i], path: p.entry.path, size: p.entry.size, sha256: p.entry.sha256Hex, multipart: !!p.entry.parts },
        })),
      );
      return plans.map((p, i) => ({ ...p, uploadId: versionIds[i] }));
    });

    const multipartUploadIds = await this.startMultipartUploads(tenantId, caseId, planned);

    const files = await Promise.all(
      planned.map(async (p): Promise<InitializedUpload> => {
        const base = { fileId: p.fileId, uploadId: p.uploadId, path: p.entry.path, expiresAt: urlExpiresAt };
        if (!p.entry.parts) {
          const signed = await this.store.presignPut({
            key: p.key,
            contentLength: p.entry.size,
            contentType: p.entry.contentType,
            sha256Base64: p.entry.sha256Base64,
            condition: p.condition,
            expiresInSeconds: urlTtl,
          });
          return { ...base, method: 'PUT', url: signed.url, headers: signed.headers };
        }
        const storageUploadId = multipartUploadIds.get(p.uploadId) as string;
        const parts = await Promise.all(
          p.entry.parts.map(async (part) => ({
            partNumber: part.partNumber,
            size: part.size,
            ...(await this.store.presignPart({
              key: p.key,
              uploadId: storageUploadId,
              partNumber: part.partNumber,
              contentLength: part.size,
              sha256Base64: part.sha256Base64,
              expiresInSeconds: urlTtl,
            })),
          })),
        );
        return { ...base, method: 'MULTIPART', parts };
      }),
    );
    return { files };
  }

  /** Storage's multipart uploads for the batch's large files; on failure none is left behind. */
  private async startMultipartUploads(
    tenantId: string,
    caseId: string,
    planned: ReadonlyArray<{ entry: ValidEntry; key: string; uploadId: string }>,
  ): Promise<Map<string, string>> {
    const multipart = planned.filter((p) => p.entry.parts);
    if (multipart.length === 0) return new Map();
    const started = await Promise.allSettled(multipart.map((p) => this.store.createMultipartUpload({ key: p.key, contentType: p.entry.contentType })));
    const failed = started.some((s) => s.status === 'rejected');
    if (failed) {
      await Promise.all(
        started.map((s, i) => (s.status === 'fulfilled' ? this.store.abortMultipartUpload({ key: multipart[i].key, uploadId: s.value }) : undefined)),
      ).catch(() => undefined);
      await this.tx.run(tenantId, async (em) => {
        for (const p of planned) await this.repo.markVersion(em, p.uploadId, 'failed', 'storage refused to start the multipart upload');
      });
      const reason = started.find((s): s is PromiseRejectedResult => s.status === 'rejected')?.reason;
      this.logger.error({ err: reason, caseId }, 'could not start multipart uploads');
      throw new UploadError(UploadErrorCode.StorageUnavailable, 'object storage did not accept the upload; try again shortly');
    }
    const ids = new Map(multipart.map((p, i) => [p.uploadId, (started[i] as PromiseFulfilledResult<string>).value]));
    await this.tx.run(tenantId, (em) => this.repo.setMultipartUploadIds(em, [...ids].map(([versionId, uploadId]) => ({ versionId, uploadId }))));
    return ids;
  }

  /**
   * Verifies every completion against storage, then commits them all in one transaction
   * (all or nothing). Completions already committed answer the same records.
   */
  async complete(principal: Principal, caseIdParam: string, body: CompleteUploadBody): Promise<{ files: FileRecordView[] }> {
    const { caseRecord } = await this.access.assertCaseAccess(principal, caseIdParam, 'editor');
    const tenantId = principal.tenantId;
    const caseId = caseRecord.id;
    if (body.files.length > this.policy.maxFilesPerBatch) {
      throw new UploadError(UploadErrorCode.TooManyFiles, `complete at most ${this.policy.maxFilesPerBatch} files per request`);
    }
    const seen = new Set<string>();
    for (const c of body.files) {
      const key = c.uploadId ?? c.fileId;
      if (seen.has(key)) throw new RequestError(RequestErrorCode.ValidationFailed, `upload ${key} appears twice in this batch`);
      seen.add(key);
    }

    const candidates = await this.tx.run(tenantId, (em) => this.repo.versionsOfFiles(em, caseId, [...new Set(body.files.map((c) => c.fileId))]));
    const problems: EntryProblem[] = [];
    const outcomes = await Promise.all(
      body.files.map(async (completion, index): Promise<VerifiedCompletion | 'done' | null> => {
        try {
          return await this.verifyCompletion(completion, candidates.get(completion.fileId) ?? []);
        } catch (err) {
          if (!(err instanceof UploadError)) throw err;
          problems.push({ index, code: err.code, message: `files[${index}]: ${err.message}`, fileId: completion.fileId });
          return null;
        }
      }),
    );
    if (problems.length > 0) throw UploadError.forEntries(problems.sort((a, b) => a.index - b.index));

    const toCommit = outcomes.filter((o): o is VerifiedCompletion => o !== null && o !== 'done');
    const records = await this.tx.run(tenantId, async (em) => {
      await this.commitAll(em, { tenantId, caseId, actor: principal.subject }, toCommit);
      return this.repo.fileRecords(em, caseId, [...new Set(body.files.map((c) => c.fileId))]);
    });

    if (toCommit.length > 0) {
      await this.cache.invalidate(tenantId, caseId);
      for (const item of toCommit.filter((i) => !i.verified)) await this.queueVerification(tenantId, caseId, item.version.id);
    }
    const byId = new Map(records.map((r) => [r.id, r]));
    return { files: body.files.map((c) => toFileRecordView(byId.get(c.fileId) as (typeof records)[number])) };
  }

  /**
   * Queues the whole-file check of a multipart version. The commit has happened: a queue
   * outage must not fail (or hang) the answer, so it is bounded and logged; the version
   * stays unverified (and says so) until a verification runs.
   */
  private async queueVerification(tenantId: string, caseId: string, fileVersionId: string): Promise<void> {
    const payload: VerifyUploadChecksumPayload = { tenantId, caseId, fileVersionId };
    const add = this.queue.add(UploadJob.VerifyChecksum, payload, {
      jobId: verifyChecksumJobId(fileVersionId),
      attempts: 5,
      backoff: { type: 'exponential', delay: 2_000 },
      removeOnComplete: 1000,
      removeOnFail: 5000,
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('queue did not answer within 2 s')), 2_000);
    });
    try {
      await Promise.race([add, timeout]);
    } catch (err) {
      this.logger.error({ err, fileVersionId }, 'could not queue the checksum verification; the version stays unverified');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Checks one completion against storage. Resolves 'done' when it was committed before. */
  private async verifyCompletion(completion: Completion, versions: VersionRow[]): Promise<VerifiedCompletion | 'done'> {
    if (versions.length === 0) {
      throw new UploadError(UploadErrorCode.UploadNotFound, `no upload of file ${completion.fileId} in this case; start one with POST .../files`);
    }
    if (isMultipartCompletion(completion)) {
      const version = versions.find((v) => v.id === completion.uploadId);
      if (!version) throw new UploadError(UploadErrorCode.UploadNotFound, `upload ${completion.uploadId} is not an upload of file ${completion.fileId}`);
      if (version.status === 'committed') return 'done';
      this.assertPending(version);
      if (!version.partChecksums || !version.uploadId || !version.partSize) {
        throw new UploadError(UploadErrorCode.InvalidParts, `upload ${version.id} is a single PUT: complete it with "etag" and "versionId"`);
      }
      return this.completeMultipart(completion.parts, version, versions);
    }

    const already = versions.find((v) => v.status === 'committed' && v.s3VersionId === completion.versionId);
    if (already) {
      if (completion.uploadId && completion.uploadId !== already.id) {
        throw new UploadError(UploadErrorCode.UploadNotPending, `storage version ${completion.versionId} was committed by another upload`);
      }
      return 'done';
    }
    const pending = versions.filter((v) => (completion.uploadId ? v.id === completion.uploadId : v.status === 'pending' && !v.partChecksums));
    if (pending.length === 0) {
      throw new UploadError(UploadErrorCode.UploadNotFound, `no pending single-PUT upload of file ${completion.fileId} matches`);
    }
    for (const v of pending) this.assertPending(v);
    if (pending[0].partChecksums) {
      throw new UploadError(UploadErrorCode.InvalidParts, `upload ${pending[0].id} is multipart: complete it with "parts"`);
    }

    const stored = await this.storage(() => this.store.headVersion(pending[0].objectKey, completion.versionId));
    if (!stored) {
      throw new UploadError(
        UploadErrorCode.NotUploaded,
        `storage has no version ${completion.versionId} of this file: PUT the bytes to the pre-signed URL first, and send its x-amz-version-id`,
      );
    }
    if (normalizeEtag(stored.etag) !== normalizeEtag(completion.etag)) {
      throw new UploadError(UploadErrorCode.EtagMismatch, `the ETag sent (${completion.etag}) is not the stored version's (${stored.etag})`);
    }
    const version = pending.find((v) => hexToBase64(v.sha256Hex) === stored.checksumSha256 && v.size === stored.size);
    if (!version) {
      const sizes = pending.map((v) => v.size);
      if (!sizes.includes(stored.size)) {
        throw new UploadError(UploadErrorCode.SizeMismatch, `the stored object has ${stored.size} bytes; ${sizes.join(' or ')} were declared`);
      }
      throw new UploadError(UploadErrorCode.ChecksumMismatch, `the stored object's SHA-256 is not the one declared at init`);
    }
    return { version, stored: { versionId: stored.versionId, etag: stored.etag }, verified: true };
  }

  private async completeMultipart(
    parts: ReadonlyArray<{ partNumber: number; etag: string }>,
    version: VersionRow,
    versions: VersionRow[],
  ): Promise<VerifiedCompletion> {
    const checksums = version.partChecksums as string[];
    const expected = partSizes(version.size, version.partSize as number).length;
    const numbers = parts.map((p) => p.partNumber);
    if (parts.length !== expected || numbers.some((n, i) => n !== i + 1)) {
      throw new UploadError(UploadErrorCode.InvalidParts, `send all ${expected} parts, numbered 1 to ${expected} in order, with their ETags`);
    }
    const base = version.baseVersionId ? versions.find((v) => v.id === version.baseVersionId) : undefined;
    const condition: WriteCondition = base?.etag ? { ifMatch: base.etag } : { ifNoneMatch: '*' };
    const expectedChecksum = compositeChecksum(checksums);
    let done: { versionId: string; etag: string } | null;
    try {
      done = await this.storage(() =>
        this.store.completeMultipartUpload({
          key: version.objectKey,
          uploadId: version.uploadId as string,
          parts: parts.map((p, i) => ({ partNumber: p.partNumber, etag: p.etag, sha256Base64: checksums[i] })),
          condition,
        }),
      );
    } catch (err) {
      if (err instanceof PreconditionFailedError) throw versionConflict();
      if (err instanceof UploadError) throw err;
      // Storage refuses a part list that does not match what was uploaded (wrong ETag, missing part).
      throw new UploadError(UploadErrorCode.NotUploaded, `storage refused to assemble the parts: ${(err as Error).message}`);
    }
    // A retry after storage assembled the object but before we committed: find that version.
    const stored: StoredVersion | null = done
      ? await this.storage(() => this.store.headVersion(version.objectKey, (done as { versionId: string }).versionId))
      : await this.findAssembledVersion(version.objectKey, expectedChecksum, version.size);
    if (!stored) throw new UploadError(UploadErrorCode.NotUploaded, `storage has no assembled object for upload ${version.id}; upload the parts first`);
    if (stored.size !== version.size) {
      throw new UploadError(UploadErrorCode.SizeMismatch, `the assembled object has ${stored.size} bytes; ${version.size} were declared`);
    }
    if (stored.checksumSha256 && stored.checksumSha256 !== expectedChecksum) {
      throw new UploadError(UploadErrorCode.ChecksumMismatch, `the assembled object's part checksums are not the ones declared at init`);
    }
    // Storage only vouches for the parts; the whole-file SHA-256 is confirmed by a job that reads it once.
    return { version, stored: { versionId: stored.versionId, etag: stored.etag }, verified: false };
  }

  private async findAssembledVersion(key: string, checksum: string, size: number): Promise<StoredVersion | null> {
    const listed = await this.storage(() => this.store.listVersions(key, 20));
    for (const candidate of listed.filter((v) => v.size === size)) {
      const head = await this.storage(() => this.store.headVersion(key, candidate.versionId));
      if (head?.checksumSha256 === checksum) return head;
    }
    return null;
  }

  /** Commits a verified batch under the files' row locks: every version still based on its file's current one. */
  private async commitAll(
    em: EntityManager,
    scope: { tenantId: string; caseId: string; actor: string },
    items: readonly VerifiedCompletion[],
  ): Promise<void> {
    if (items.length === 0) return;
    const files = await this.repo.lockFiles(em, [...new Set(items.map((i) => i.version.fileId))]);
    const versions = await this.repo.lockVersions(em, scope.caseId, items.map((i) => i.version.id));
    const commits: Array<{ version: VersionRow; stored: { versionId: string; etag: string }; verified: boolean }> = [];
    const committedFiles = new Set<string>();
    for (const item of items) {
      const file = files.get(item.version.fileId);
      const version = versions.get(item.version.id);
      if (!file || !version || file.deleted) throw new UploadError(UploadErrorCode.UploadNotFound, `file ${item.version.fileId} no longer exists`);
      if (version.status === 'committed' && version.s3VersionId === item.stored.versionId) continue;
      this.assertPending(version);
      // Two uploads of one file in a batch, or someone else's commit since: only one version can follow another.
      if (file.currentVersionId !== version.baseVersionId || committedFiles.has(version.fileId)) throw versionConflict();
      committedFiles.add(version.fileId);
      commits.push({ version, stored: item.stored, verified: item.verified });
    }
    await this.repo.commitVersions(
      em,
      commits.map((c) => ({
        versionId: c.version.id,
        fileId: c.version.fileId,
        s3VersionId: c.stored.versionId,
        etag: c.stored.etag,
        contentType: c.version.contentType,
        verified: c.verified,
      })),
    );
    await this.repo.appendAuditEvents(
      em,
      commits.map((c) => ({
        tenantId: scope.tenantId,
        caseId: scope.caseId,
        fileId: c.version.fileId,
        actor: scope.actor,
        action: 'file.version.committed',
        details: { uploadId: c.version.id, path: c.version.path, s3VersionId: c.stored.versionId, size: c.version.size, sha256: c.version.sha256Hex },
      })),
    );
  }

  /** Aborts a pending upload; aborting one that already ended is a no-op. */
  async abort(principal: Principal, caseIdParam: string, uploadIdParam: string): Promise<void> {
    const { caseRecord } = await this.access.assertCaseAccess(principal, caseIdParam, 'editor');
    const uploadId = parseUuid(uploadIdParam, 'uploadId');
    const version = await this.tx.run(principal.tenantId, async (em) => {
      const v = await this.repo.findVersion(em, caseRecord.id, uploadId, { lock: true });
      if (!v) throw new UploadError(UploadErrorCode.UploadNotFound, `no upload ${uploadId} in this case`);
      if (v.status === 'committed') throw new UploadError(UploadErrorCode.UploadNotPending, `upload ${uploadId} is committed already; it cannot be aborted`);
      if (v.status !== 'pending') return null;
      await this.repo.markVersion(em, v.id, 'failed', `aborted by ${principal.subject}`);
      await this.repo.retireFileIfEmpty(em, v.fileId);
      await appendAudit(em, {
        tenantId: principal.tenantId,
        caseId: caseRecord.id,
        fileId: v.fileId,
        actor: principal.subject,
        action: 'upload.aborted',
        details: { uploadId: v.id, path: v.path },
      });
      return v;
    });
    if (version?.uploadId) await this.storage(() => this.store.abortMultipartUpload({ key: version.objectKey, uploadId: version.uploadId as string }));
  }

  private assertPending(v: VersionRow): void {
    if (v.status !== 'pending') {
      throw new UploadError(UploadErrorCode.UploadNotPending, `upload ${v.id} is ${v.status}; start a new upload`);
    }
    if (v.expiresAt && v.expiresAt.getTime() < Date.now()) {
      throw new UploadError(UploadErrorCode.UploadNotPending, `upload ${v.id} expired at ${v.expiresAt.toISOString()}; start a new upload`);
    }
  }

  /** Storage outages become a 503 with a clear code instead of a bare 500. */
  private async storage<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      if (err instanceof UploadError || err instanceof PreconditionFailedError) throw err;
      const code = (err as { code?: string }).code;
      if (code === 'ECONNREFUSED' || code === 'ETIMEDOUT' || code === 'ECONNRESET') {
        throw new UploadError(UploadErrorCode.StorageUnavailable, 'object storage is unreachable; try again shortly');
      }
      throw err;
    }
  }
}

function versionConflict(): UploadError {
  return new UploadError(
    UploadErrorCode.VersionConflict,
    'someone else saved a newer version of this file first; nothing was overwritten. Reload the file list and upload again',
  );
}

/** ETags arrive quoted or not depending on the client; compare them without quotes. */
function normalizeEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"|"$/g, '');
}

import { Injectable, Logger } from '@nestjs/common';
import { ManifestCache } from '@case-storage/manifest-cache';
import { ObjectStore } from '@case-storage/object-storage';
import { appendAudit, TenantTransactions } from '@case-storage/persistence';
import { VerifyUploadChecksumPayload } from '@case-storage/queue-contracts';
import { UploadRepository } from './upload.repository';

const SYSTEM_ACTOR = 'system:upload-maintenance';

/** Background work of the upload pipeline: expiring abandoned uploads and verifying multipart ones. */
@Injectable()
export class UploadMaintenanceService {
  private readonly logger = new Logger(UploadMaintenanceService.name);

  constructor(
    private readonly tx: TenantTransactions,
    private readonly repo: UploadRepository,
    private readonly store: ObjectStore,
    private readonly cache: ManifestCache,
  ) {}

  /**
   * Marks pending uploads past their deadline as expired, frees the paths of files that
   * never got a version, and aborts their multipart uploads in storage. Idempotent: each
   * upload is re-checked under its row lock, so overlapping runs expire it once.
   */
  async sweepExpired(batchSize: number): Promise<{ expired: number }> {
    const due = await this.repo.expiredPendingUploads(batchSize);
    let expired = 0;
    for (const { tenantId, fileVersionId } of due) {
      const version = await this.tx.run(tenantId, async (em) => {
        const v = await this.repo.lockExpiredVersion(em, fileVersionId);
        if (!v) return null;
        await this.repo.markVersion(em, v.id, 'expired', 'not completed before its deadline');
        await this.repo.retireFileIfEmpty(em, v.fileId);
        await appendAudit(em, {
          tenantId,
          caseId: v.caseId,
          fileId: v.fileId,
          actor: SYSTEM_ACTOR,
          action: 'upload.expired',
          details: { uploadId: v.id, path: v.path, deadline: v.expiresAt?.toISOString() },
        });
        return v;
      });
      if (!version) continue;
      expired++;
      if (version.uploadId) await this.store.abortMultipartUpload({ key: version.objectKey, uploadId: version.uploadId });
    }
    if (expired > 0) this.logger.log({ expired }, 'expired abandoned uploads');
    return { expired };
  }

  /**
   * Reads a committed multipart version once and compares its SHA-256 with the one the
   * client declared. A mismatch fails that version and puts the file back on the version
   * it was based on, so no listing keeps pointing at bytes nobody vouched for.
   */
  async verifyChecksum(job: VerifyUploadChecksumPayload): Promise<'verified' | 'mismatch' | 'skipped'> {
    const version = await this.tx.run(job.tenantId, (em) => this.repo.findVersion(em, job.caseId, job.fileVersionId));
    if (!version || version.status !== 'committed' || version.verifiedAt || !version.s3VersionId) return 'skipped';
    const actual = await this.store.sha256OfVersion(version.objectKey, version.s3VersionId);
    const ok = actual.sha256Hex === version.sha256Hex && actual.size === version.size;
    await this.tx.run(job.tenantId, async (em) => {
      if (ok) await this.repo.markVerified(em, version.id);
      else await this.repo.revertCurrentVersion(em, version.fileId, version.id, version.baseVersionId, 'stored bytes do not match the declared SHA-256');
      await appendAudit(em, {
        tenantId: job.tenantId,
        caseId: job.caseId,
        fileId: version.fileId,
        actor: SYSTEM_ACTOR,
        action: ok ? 'file.version.verified' : 'file.version.checksum_mismatch',
        details: { uploadId: version.id, declared: version.sha256Hex, actual: actual.sha256Hex },
      });
    });
    if (!ok) {
      this.logger.warn({ fileVersionId: version.id }, 'multipart upload failed whole-file verification; file reverted');
      await this.cache.invalidate(job.tenantId, job.caseId);
    }
    return ok ? 'verified' : 'mismatch';
  }
}

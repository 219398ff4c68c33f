import { createHash, randomUUID } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AppConfig } from '@case-storage/config';
import { objectKeyOf } from '@case-storage/domain';
import { DataSource } from 'typeorm';
import { CommittedFile, seedCommittedFiles } from './committed-files';

export interface StoredFileSpec {
  readonly path: string;
  readonly body: Buffer;
  readonly contentType?: string;
}

export interface StoredFile extends CommittedFile {
  readonly sha256: string;
  readonly etag: string;
  readonly s3VersionId: string;
  readonly size: number;
}

/**
 * Committed files with real bytes behind them: each body is PUT to the file's own key in
 * the real S3 server (versioned, with its SHA-256), then the rows are written as the
 * upload API commits them. For tests and benchmarks that read or overwrite the objects.
 */
export async function storeCaseFiles(
  ds: DataSource,
  s3: S3Client,
  config: Pick<AppConfig, 's3'>,
  scope: { tenantId: string; caseId: string },
  files: readonly StoredFileSpec[],
  concurrency = 16,
): Promise<StoredFile[]> {
  const prepared: Array<StoredFileSpec & { fileId: string; sha256: string; etag?: string; s3VersionId?: string }> = files.map((f) => ({
    ...f,
    fileId: randomUUID(),
    sha256: createHash('sha256').update(f.body).digest('hex'),
  }));
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, prepared.length) }, async () => {
      while (next < prepared.length) {
        const f = prepared[next++];
        const out = await s3.send(
          new PutObjectCommand({
            Bucket: config.s3.bucket,
            Key: objectKeyOf(scope.tenantId, scope.caseId, f.fileId),
            Body: f.body,
            ContentType: f.contentType ?? 'application/octet-stream',
            ChecksumSHA256: Buffer.from(f.sha256, 'hex').toString('base64'),
          }),
        );
        if (!out.VersionId || !out.ETag) throw new Error('the S3 server returned no version id: is versioning on?');
        f.etag = out.ETag;
        f.s3VersionId = out.VersionId;
      }
    }),
  );
  const rows = await seedCommittedFiles(
    ds,
    scope,
    prepared.map((f) => ({
      path: f.path,
      fileId: f.fileId,
      size: f.body.length,
      sha256: f.sha256,
      contentType: f.contentType ?? 'application/octet-stream',
      objectKey: objectKeyOf(scope.tenantId, scope.caseId, f.fileId),
      s3VersionId: f.s3VersionId,
      etag: f.etag,
    })),
  );
  return rows.map((r, i) => ({ ...r, sha256: prepared[i].sha256, etag: prepared[i].etag as string, s3VersionId: prepared[i].s3VersionId as string, size: prepared[i].body.length }));
}

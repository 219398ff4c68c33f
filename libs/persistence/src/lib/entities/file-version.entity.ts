import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { bigintToNumber } from './bigint-number.transformer';

export const FILE_VERSION_STATUSES = ['pending', 'committed', 'failed', 'expired'] as const;
export type FileVersionStatus = (typeof FILE_VERSION_STATUSES)[number];

/**
 * One upload of a file. Created `pending` when the upload is initiated (with the size and
 * SHA-256 the client declared), `committed` once storage confirmed the bytes (then
 * `s3VersionId`, `etag` and `committedAt` are required by a CHECK constraint).
 */
@Entity({ name: 'file_versions' })
export class FileVersionEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'file_id', type: 'uuid' })
  fileId!: string;

  /** 1, 2, 3... per file (unique per file). */
  /** Given at commit (max + 1 under the file's row lock); null while pending. */
  @Column({ name: 'version_no', type: 'integer', nullable: true })
  versionNo!: number | null;

  @Column({ name: 'object_key', type: 'text' })
  objectKey!: string;

  @Column({ name: 's3_version_id', type: 'text', nullable: true })
  s3VersionId!: string | null;

  /** As storage returned it (quotes included), so it can go back into If-Match unchanged. */
  @Column({ type: 'text', nullable: true })
  etag!: string | null;

  /** Bytes. `bigint` in PostgreSQL, a JS number here (see bigintToNumber). */
  @Column({ type: 'bigint', transformer: bigintToNumber })
  size!: number;

  /** SHA-256 of the content, lower-case hex. */
  @Column({ name: 'content_hash', type: 'text' })
  contentHash!: string;

  @Column({ name: 'content_type', type: 'text', default: 'application/octet-stream' })
  contentType!: string;

  @Column({ type: 'text', default: 'pending' })
  status!: FileVersionStatus;

  /** S3 multipart upload id while a multipart upload is in flight. */
  @Column({ name: 'upload_id', type: 'text', nullable: true })
  uploadId!: string | null;

  /** When a pending upload is given up (the sweeper marks it expired). */
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'committed_at', type: 'timestamptz', nullable: true })
  committedAt!: Date | null;

  /** The file's current version when this upload began; null for a file's first upload. */
  @Column({ name: 'base_version_id', type: 'uuid', nullable: true })
  baseVersionId!: string | null;

  /** Multipart uploads: the part size and each part's SHA-256 (base64), as signed. */
  @Column({ name: 'part_size', type: 'integer', nullable: true })
  partSize!: number | null;

  @Column({ name: 'part_checksums', type: 'text', array: true, nullable: true })
  partChecksums!: string[] | null;

  /** When the whole-file SHA-256 was confirmed against the stored bytes. */
  @Column({ name: 'verified_at', type: 'timestamptz', nullable: true })
  verifiedAt!: Date | null;

  /** Written by a workspace sync: that workspace, and the path in it the bytes came from. */
  @Column({ name: 'workspace_id', type: 'uuid', nullable: true })
  workspaceId!: string | null;

  @Column({ name: 'workspace_path', type: 'text', nullable: true })
  workspacePath!: string | null;

  @Column({ name: 'failure_reason', type: 'text', nullable: true })
  failureReason!: string | null;
}

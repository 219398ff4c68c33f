import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const FILE_KINDS = ['original', 'derived'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/**
 * One logical path in a case. `path` is NFC, `/`-separated, relative (no leading or
 * trailing `/`, no `.`/`..` segments); unique per case among live rows (partial unique
 * index `files_case_path_live_key`), so a soft-deleted path can be reused. The object key
 * is stable per file id; each upload is a {@link FileVersionEntity}.
 */
@Entity({ name: 'files' })
export class FileEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId!: string;

  @Column({ name: 'case_id', type: 'uuid' })
  caseId!: string;

  @Column({ type: 'text' })
  path!: string;

  @Column({ type: 'text', default: 'original' })
  kind!: FileKind;

  /** For a derivative (e.g. `contract.pdf.md`): the file it was made from. */
  @Column({ name: 'derived_from_file_id', type: 'uuid', nullable: true })
  derivedFromFileId!: string | null;

  /** ... and the exact source version, so a stale derivative can be detected. */
  @Column({ name: 'derived_from_version_id', type: 'uuid', nullable: true })
  derivedFromVersionId!: string | null;

  /** The latest committed version; null until the first upload commits. */
  @Column({ name: 'current_version_id', type: 'uuid', nullable: true })
  currentVersionId!: string | null;

  @Column({ name: 'content_type', type: 'text', default: 'application/octet-stream' })
  contentType!: string;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  /** Soft delete: the row (and its versions) stay for the audit trail. */
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true })
  deletedAt!: Date | null;
}

import { createHash, randomBytes, randomUUID } from 'node:crypto';
// The harness builds on persistence, whose own tests use the harness: a cycle that only
// test files create (production code may not import the harness), so it is ignored here.
import type {
  CaseInput,
  FileKind,
  FileVersionStatus,
  TenantInput,
  WorkspaceStatus,
} from '@case-storage/persistence';

/**
 * Typed test data. Every factory returns fresh random ids so tests can run in parallel
 * against the one shared database; pass overrides for what the test is about.
 */

const short = (): string => randomUUID().slice(0, 8);

export function aTenant(overrides: Partial<TenantInput> = {}): TenantInput {
  return { id: randomUUID(), name: `Tenant ${short()}`, status: 'active', ...overrides };
}

export function aCase(overrides: Partial<CaseInput> = {}): CaseInput {
  return { id: randomUUID(), title: `Case ${short()}`, status: 'open', ...overrides };
}

/** A token subject (`sub`). */
export function aSubject(prefix = 'user'): string {
  return `${prefix}-${randomUUID()}`;
}

/** Insertable values of a `files` row (TypeORM `em.insert(FileEntity, aFile(...))`). */
export interface NewFileRow {
  id: string;
  tenantId: string;
  caseId: string;
  path: string;
  kind: FileKind;
  contentType: string;
  createdBy: string;
  derivedFromFileId?: string | null;
  derivedFromVersionId?: string | null;
  currentVersionId?: string | null;
  deletedAt?: Date | null;
}

export function aFile(scope: { tenantId: string; caseId: string }, overrides: Partial<NewFileRow> = {}): NewFileRow {
  return {
    id: randomUUID(),
    tenantId: scope.tenantId,
    caseId: scope.caseId,
    path: `docs/file-${short()}.pdf`,
    kind: 'original',
    contentType: 'application/pdf',
    createdBy: 'user-test',
    ...overrides,
  };
}

/** Insertable values of a `file_versions` row; the defaults describe a pending upload. */
export interface NewFileVersionRow {
  id: string;
  tenantId: string;
  fileId: string;
  versionNo: number;
  objectKey: string;
  size: number;
  contentHash: string;
  contentType: string;
  status: FileVersionStatus;
  createdBy: string;
  s3VersionId?: string | null;
  etag?: string | null;
  uploadId?: string | null;
  expiresAt?: Date | null;
  committedAt?: Date | null;
}

export function aFileVersion(
  scope: { tenantId: string; caseId: string; fileId: string },
  overrides: Partial<NewFileVersionRow> = {},
): NewFileVersionRow {
  const content = randomBytes(32);
  return {
    id: randomUUID(),
    tenantId: scope.tenantId,
    fileId: scope.fileId,
    versionNo: 1,
    objectKey: `tenants/${scope.tenantId}/cases/${scope.caseId}/files/${scope.fileId}`,
    size: content.length,
    contentHash: createHash('sha256').update(content).digest('hex'),
    contentType: 'application/pdf',
    status: 'pending',
    createdBy: 'user-test',
    expiresAt: new Date(Date.now() + 3_600_000),
    ...overrides,
  };
}

/** Overrides that turn {@link aFileVersion} into a committed version. */
export function committed(overrides: Partial<NewFileVersionRow> = {}): Partial<NewFileVersionRow> {
  return {
    status: 'committed',
    s3VersionId: `v-${short()}`,
    etag: `"${randomBytes(16).toString('hex')}"`,
    committedAt: new Date(),
    expiresAt: null,
    ...overrides,
  };
}

/** Insertable values of a `workspaces` row. */
export interface NewWorkspaceRow {
  id: string;
  tenantId: string;
  caseId: string;
  status: WorkspaceStatus;
  createdBy: string;
  nodeName?: string | null;
  path?: string | null;
  expiresAt?: Date | null;
}

export function aWorkspace(scope: { tenantId: string; caseId: string }, overrides: Partial<NewWorkspaceRow> = {}): NewWorkspaceRow {
  return {
    id: randomUUID(),
    tenantId: scope.tenantId,
    caseId: scope.caseId,
    status: 'queued',
    createdBy: 'user-test',
    ...overrides,
  };
}

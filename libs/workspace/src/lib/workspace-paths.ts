import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { checkFilePath, parseUuid } from '@case-storage/domain';

export interface WorkspaceIds {
  readonly tenantId: string;
  readonly caseId: string;
  readonly workspaceId: string;
}

/** True when `candidate` is `parent` itself or lies below it (both absolute, normalised). */
export function isInside(parent: string, candidate: string): boolean {
  const rel = relative(parent, candidate);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * `{root}/{tenant}/{case}/{workspace}` (DESIGN §4). Each part is parsed as a UUID, so no
 * id can carry a separator or `..`; the result is checked to lie under the root anyway.
 */
export function workspaceDir(root: string, ids: WorkspaceIds): string {
  const base = resolve(root);
  const dir = join(base, parseUuid(ids.tenantId, 'tenantId'), parseUuid(ids.caseId, 'caseId'), parseUuid(ids.workspaceId, 'workspaceId'));
  if (!isInside(base, dir) || dir === base) throw new Error(`workspace directory ${dir} escapes ${base}`);
  return dir;
}

/**
 * Where a case file's logical path lives inside a workspace. The path must already be
 * canonical (the same rules as uploads: relative, NFC, no `.`/`..`, no control
 * characters); anything else is refused rather than repaired.
 */
export function resolveInWorkspace(workspace: string, logicalPath: string): string {
  const check = checkFilePath(logicalPath);
  if (!check.ok) throw new Error(`refusing path ${JSON.stringify(logicalPath)}: ${check.message}`);
  if (check.path !== logicalPath) throw new Error(`refusing path ${JSON.stringify(logicalPath)}: not in NFC form`);
  const base = resolve(workspace);
  const target = resolve(base, ...logicalPath.split('/'));
  if (!isInside(base, target) || target === base) throw new Error(`path ${JSON.stringify(logicalPath)} escapes the workspace`);
  return target;
}

/** The logical (`/`-separated) path of a file found under a workspace. */
export function logicalPathOf(workspace: string, absolute: string): string {
  return relative(resolve(workspace), absolute).split(sep).join('/');
}

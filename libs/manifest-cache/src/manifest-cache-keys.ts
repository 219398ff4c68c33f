/**
 * The cached manifest of one case (DESIGN.md §4 Listing): a hash whose fields are the
 * rendered pages (one per query shape), so one DEL drops every page of the case at once.
 */
export function manifestKey(tenantId: string, caseId: string): string {
  return `cache:manifest:${tenantId}:${caseId}`;
}

/**
 * The case's generation: bumped by every invalidation, so a manifest built from a read
 * that started before a write can be recognised as stale and never be stored over it.
 */
export function generationKey(tenantId: string, caseId: string): string {
  return `cache:manifest-gen:${tenantId}:${caseId}`;
}

/** Who is rebuilding a page right now, across replicas (stampede protection). */
export function fillLockKey(tenantId: string, caseId: string, field: string): string {
  return `cache:manifest-fill:${tenantId}:${caseId}:${field}`;
}

/** The cached manifest of one case (DESIGN.md §4 Listing). */
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

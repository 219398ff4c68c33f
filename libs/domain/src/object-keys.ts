/** DESIGN.md §3: one stable key per logical file; versions live under it. */
export function objectKeyOf(tenantId: string, caseId: string, fileId: string): string {
  return `tenants/${tenantId}/cases/${caseId}/files/${fileId}`;
}

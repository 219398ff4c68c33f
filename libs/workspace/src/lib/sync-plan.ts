import { ScannedFile } from './workspace-scan';

/** What a workspace was materialized from, per path (the baseline DESIGN §4 records). */
export interface BaselineEntry {
  readonly path: string;
  readonly fileId: string;
  readonly versionId: string;
  readonly etag: string;
  readonly sha256: string;
  readonly size: number;
  /** The mtime the manager gave the file when it laid it out. */
  readonly mtimeMs: number;
}

export interface SyncPlan {
  /** Paths the case does not have: uploaded with `If-None-Match: *`. */
  readonly created: ScannedFile[];
  /** Same size and mtime as laid out: unchanged without reading a byte. */
  readonly unchanged: Array<{ file: ScannedFile; base: BaselineEntry }>;
  /** Touched (size or mtime differ): hashed, then uploaded with `If-Match: <baseline ETag>` if the hash differs. */
  readonly touched: Array<{ file: ScannedFile; base: BaselineEntry }>;
  /** Baseline paths no longer in the workspace. The sync does not delete case files for an agent. */
  readonly missing: BaselineEntry[];
}

/**
 * Compares a scan with the baseline. Pure: the caller hashes only the `touched` files,
 * so a scan of 10,000 unchanged files reads no file content at all.
 */
export function planSync(baseline: readonly BaselineEntry[], scanned: readonly ScannedFile[]): SyncPlan {
  const byPath = new Map(baseline.map((b) => [b.path, b]));
  const plan: { created: ScannedFile[]; unchanged: SyncPlan['unchanged']; touched: SyncPlan['touched']; missing: BaselineEntry[] } = {
    created: [],
    unchanged: [],
    touched: [],
    missing: [],
  };
  const present = new Set<string>();
  for (const file of scanned) {
    present.add(file.path);
    const base = byPath.get(file.path);
    if (!base) plan.created.push(file);
    else if (base.size === file.size && base.mtimeMs === file.mtimeMs) plan.unchanged.push({ file, base });
    else plan.touched.push({ file, base });
  }
  for (const base of baseline) if (!present.has(base.path)) plan.missing.push(base);
  return plan;
}

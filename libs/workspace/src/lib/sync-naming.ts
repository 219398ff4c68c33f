import { checkFilePath } from '@case-storage/domain';
import { BaselineEntry } from './sync-plan';

const MAX_NAME_BYTES = 255;

/**
 * Where the agent's bytes go when they cannot go to their own path: next to it, named
 * after the workspace, `brief.pdf.md` → `brief.pdf (agent conflict 1a2b3c4d).md`, with a
 * counter from the second attempt on. The stem is shortened (never the label or the
 * extension) so the name stays within the filesystem's 255 bytes.
 */
export function conflictCopyPath(path: string, workspaceId: string, attempt = 1): string {
  const slash = path.lastIndexOf('/');
  const dir = slash >= 0 ? path.slice(0, slash + 1) : '';
  const name = path.slice(slash + 1);
  const dot = name.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const label = ` (agent conflict ${workspaceId.slice(0, 8)}${attempt > 1 ? ` ${attempt}` : ''})`;
  let cut = stem;
  while (cut.length > 1 && Buffer.byteLength(cut + label + ext) > MAX_NAME_BYTES) cut = Array.from(cut).slice(0, -1).join('');
  const candidate = `${dir}${cut}${label}${ext}`;
  const check = checkFilePath(candidate);
  if (!check.ok) throw new Error(`no valid conflict name for ${JSON.stringify(path)}: ${check.message}`);
  return check.path;
}

/**
 * `x.md` made by the agent from `x` is derived from the version of `x` the workspace was
 * materialized with (the version the agent actually read). Only sources in the baseline
 * count, and a Markdown file is never the source of another.
 */
export function derivedSourceOf(path: string, baseline: ReadonlyMap<string, BaselineEntry>): BaselineEntry | null {
  if (!path.endsWith('.md') || path.length <= 3) return null;
  const source = path.slice(0, -3);
  if (source.endsWith('.md') || source.endsWith('/')) return null;
  return baseline.get(source) ?? null;
}

const TYPES: Readonly<Record<string, string>> = {
  md: 'text/markdown',
  txt: 'text/plain',
  html: 'text/html',
  htm: 'text/html',
  csv: 'text/csv',
  json: 'application/json',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
};

/** The media type of a file the agent wrote, from its extension; unknown ones are opaque bytes. */
export function contentTypeOf(path: string): string {
  const dot = path.lastIndexOf('.');
  const ext = dot >= 0 && dot > path.lastIndexOf('/') ? path.slice(dot + 1).toLowerCase() : '';
  return TYPES[ext] ?? 'application/octet-stream';
}

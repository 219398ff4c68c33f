/**
 * Rules for the logical path of a file in a case. The same rules guard uploads, the
 * manifest tree and the workspace filesystem, so a path that passes here can be laid out
 * under a workspace root without escaping it.
 */

export const MAX_PATH_BYTES = 1024;
/** Most filesystems (ext4, xfs) refuse a longer name; the workspace lays paths out on one. */
export const MAX_SEGMENT_BYTES = 255;

export enum PathProblem {
  NotAString = 'NOT_A_STRING',
  Empty = 'EMPTY',
  Absolute = 'ABSOLUTE',
  Backslash = 'BACKSLASH',
  ControlCharacter = 'CONTROL_CHARACTER',
  BidiControl = 'BIDI_CONTROL',
  EmptySegment = 'EMPTY_SEGMENT',
  DotSegment = 'DOT_SEGMENT',
  TooLong = 'TOO_LONG',
  SegmentTooLong = 'SEGMENT_TOO_LONG',
}

export type PathCheck = { ok: true; path: string } | { ok: false; problem: PathProblem; message: string };

// C0 controls, DEL and C1 controls (NUL included): matching them is the point here.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Bidirectional overrides and isolates: they make "invoice‮fdp.exe" look like a PDF.
const BIDI = /[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/;

const fail = (problem: PathProblem, message: string): PathCheck => ({ ok: false, problem, message });

/** Validates a client-supplied path and returns its canonical (NFC) form. */
export function checkFilePath(raw: unknown): PathCheck {
  if (typeof raw !== 'string') return fail(PathProblem.NotAString, 'path must be a string');
  const path = raw.normalize('NFC');
  if (path.length === 0) return fail(PathProblem.Empty, 'path must not be empty');
  if (path.startsWith('/')) return fail(PathProblem.Absolute, 'path must be relative to the case (no leading "/")');
  if (path.includes('\\')) return fail(PathProblem.Backslash, 'path must use "/" as separator, not "\\"');
  if (CONTROL.test(path)) return fail(PathProblem.ControlCharacter, 'path must not contain NUL or control characters');
  if (BIDI.test(path)) return fail(PathProblem.BidiControl, 'path must not contain bidirectional text controls');
  if (Buffer.byteLength(path, 'utf8') > MAX_PATH_BYTES) {
    return fail(PathProblem.TooLong, `path must be at most ${MAX_PATH_BYTES} bytes in UTF-8`);
  }
  for (const segment of path.split('/')) {
    if (segment === '') return fail(PathProblem.EmptySegment, 'path must not contain empty segments ("//" or a trailing "/")');
    if (segment === '.' || segment === '..') return fail(PathProblem.DotSegment, 'path must not contain "." or ".." segments');
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      return fail(PathProblem.SegmentTooLong, `each name in the path must be at most ${MAX_SEGMENT_BYTES} bytes in UTF-8`);
    }
  }
  return { ok: true, path };
}

/** The folders that contain a path: `a/b/c.pdf` → `['a', 'a/b']`. */
export function parentFolders(path: string): string[] {
  const segments = path.split('/');
  return segments.slice(1).map((_, i) => segments.slice(0, i + 1).join('/'));
}

/**
 * Finds paths in one set that cannot coexist in a tree: the same path twice, or a path
 * that is also a folder of another (`a` and `a/b.pdf`). Returns index pairs [later, earlier].
 */
export function findPathClashes(paths: readonly string[]): Array<{ index: number; clashesWith: number; kind: 'duplicate' | 'file-folder' }> {
  const firstIndex = new Map<string, number>();
  const clashes: Array<{ index: number; clashesWith: number; kind: 'duplicate' | 'file-folder' }> = [];
  paths.forEach((p, i) => {
    const seen = firstIndex.get(p);
    if (seen !== undefined) clashes.push({ index: i, clashesWith: seen, kind: 'duplicate' });
    else firstIndex.set(p, i);
  });
  const folders = new Map<string, number>();
  paths.forEach((p, i) => parentFolders(p).forEach((f) => folders.has(f) || folders.set(f, i)));
  paths.forEach((p, i) => {
    const folderOwner = folders.get(p);
    if (folderOwner !== undefined) clashes.push({ index: Math.max(i, folderOwner), clashesWith: Math.min(i, folderOwner), kind: 'file-folder' });
  });
  return clashes;
}

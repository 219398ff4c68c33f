import { checkFilePath, findPathClashes } from '@case-storage/domain';
import { MAX_PARTS } from '@case-storage/config';
import { EntryProblem, UploadErrorCode } from './upload.errors';

/** The limits an upload batch is checked against (from the validated config). */
export interface UploadPolicy {
  readonly maxFilesPerBatch: number;
  readonly maxFileSize: number;
  readonly multipartThreshold: number;
  readonly partSize: number;
  readonly allowedContentTypes: readonly string[];
}

export interface PartPlan {
  readonly partNumber: number;
  readonly size: number;
  readonly sha256Base64: string;
}

/** An entry that passed every rule, in canonical form. */
export interface ValidEntry {
  readonly index: number;
  readonly path: string;
  readonly size: number;
  readonly sha256Hex: string;
  readonly sha256Base64: string;
  readonly contentType: string;
  /** Set when the file goes multipart. */
  readonly parts: readonly PartPlan[] | null;
}

export interface RawEntry {
  readonly path?: unknown;
  readonly size?: unknown;
  readonly sha256?: unknown;
  readonly contentType?: unknown;
  readonly parts?: ReadonlyArray<{ readonly sha256?: unknown }>;
}

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;
// type/subtype with optional parameters; no CR/LF or other controls (they would end up in a signed header).
const CONTENT_TYPE = /^([a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]{0,126})\/([a-zA-Z0-9][a-zA-Z0-9!#$&^_.+-]{0,126})(\s*;\s*[\x20-\x7e]*)?$/;

export const hexToBase64 = (hex: string): string => Buffer.from(hex, 'hex').toString('base64');

/** Sizes of the parts a file of `size` bytes is cut into. */
export function partSizes(size: number, partSize: number): number[] {
  const count = Math.ceil(size / partSize);
  return Array.from({ length: count }, (_, i) => (i === count - 1 ? size - partSize * (count - 1) : partSize));
}

function checkEntry(raw: RawEntry, index: number, policy: UploadPolicy): ValidEntry | EntryProblem[] {
  const problems: EntryProblem[] = [];
  const problem = (code: UploadErrorCode, message: string, path?: string) => problems.push({ index, code, message, ...(path ? { path } : {}) });

  const pathCheck = checkFilePath(raw.path);
  const path = pathCheck.ok ? pathCheck.path : undefined;
  if (!pathCheck.ok) problem(UploadErrorCode.InvalidPath, `files[${index}].path: ${pathCheck.message}`);

  const size = raw.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) {
    problem(UploadErrorCode.InvalidSize, `files[${index}].size must be a whole number of bytes above zero (empty files cannot be uploaded)`, path);
  } else if (size > policy.maxFileSize) {
    problem(UploadErrorCode.FileTooLarge, `files[${index}] is ${size} bytes; the limit is ${policy.maxFileSize} bytes`, path);
  }

  const sha256 = raw.sha256;
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    problem(UploadErrorCode.InvalidSha256, `files[${index}].sha256 must be the file's SHA-256 as 64 hexadecimal characters`, path);
  }

  const contentType = typeof raw.contentType === 'string' ? raw.contentType.trim() : undefined;
  const match = contentType ? CONTENT_TYPE.exec(contentType) : null;
  const mediaType = match ? `${match[1]}/${match[2]}`.toLowerCase() : undefined;
  if (!mediaType || !policy.allowedContentTypes.includes(mediaType)) {
    problem(
      UploadErrorCode.ContentTypeNotAllowed,
      `files[${index}].contentType ${JSON.stringify(raw.contentType)} is not accepted; allowed: ${policy.allowedContentTypes.join(', ')}`,
      path,
    );
  }

  let parts: PartPlan[] | null = null;
  if (typeof size === 'number' && Number.isSafeInteger(size) && size > 0 && size <= policy.maxFileSize) {
    const multipart = size > policy.multipartThreshold;
    if (!multipart && raw.parts !== undefined) {
      problem(UploadErrorCode.InvalidParts, `files[${index}] is a single-PUT upload (at most ${policy.multipartThreshold} bytes): leave out "parts"`, path);
    } else if (multipart) {
      const sizes = partSizes(size, policy.partSize);
      const declared = raw.parts ?? [];
      if (sizes.length > MAX_PARTS || declared.length !== sizes.length) {
        problem(
          UploadErrorCode.InvalidParts,
          `files[${index}] goes multipart: send "parts" with the SHA-256 of each ${policy.partSize}-byte slice, ${sizes.length} in all (got ${declared.length})`,
          path,
        );
      } else if (declared.some((p) => typeof p.sha256 !== 'string' || !SHA256_HEX.test(p.sha256))) {
        problem(UploadErrorCode.InvalidParts, `files[${index}].parts: every sha256 must be 64 hexadecimal characters`, path);
      } else {
        parts = sizes.map((partSize, i) => ({ partNumber: i + 1, size: partSize, sha256Base64: hexToBase64(declared[i].sha256 as string) }));
      }
    }
  }

  if (problems.length > 0 || !path) return problems;
  const hex = (sha256 as string).toLowerCase();
  return { index, path, size: size as number, sha256Hex: hex, sha256Base64: hexToBase64(hex), contentType: contentType as string, parts };
}

/**
 * Checks a whole batch against the policy: every entry on its own, then the entries
 * against each other (the same path twice after NFC, or a file that is another's folder).
 */
export function checkUploadBatch(raw: readonly RawEntry[], policy: UploadPolicy): { entries: ValidEntry[]; problems: EntryProblem[] } {
  if (raw.length === 0) {
    return { entries: [], problems: [{ index: -1, code: UploadErrorCode.EmptyBatch, message: 'send at least one file in "files"' }] };
  }
  if (raw.length > policy.maxFilesPerBatch) {
    return {
      entries: [],
      problems: [
        {
          index: -1,
          code: UploadErrorCode.TooManyFiles,
          message: `a batch holds at most ${policy.maxFilesPerBatch} files (got ${raw.length}); split it into several requests`,
        },
      ],
    };
  }
  const entries: ValidEntry[] = [];
  const problems: EntryProblem[] = [];
  raw.forEach((entry, index) => {
    const out = checkEntry(entry, index, policy);
    if (Array.isArray(out)) problems.push(...out);
    else entries.push(out);
  });
  for (const clash of findPathClashes(entries.map((e) => e.path))) {
    const later = entries[clash.index];
    const earlier = entries[clash.clashesWith];
    problems.push({
      index: later.index,
      code: UploadErrorCode.PathCollision,
      path: later.path,
      message:
        clash.kind === 'duplicate'
          ? `files[${later.index}] and files[${earlier.index}] are the same path "${later.path}" (after Unicode NFC normalisation)`
          : `files[${later.index}] and files[${earlier.index}] clash: "${earlier.path}" and "${later.path}" cannot both exist, one would be the other's folder`,
    });
  }
  problems.sort((a, b) => a.index - b.index);
  return { entries, problems };
}

import {
  AUTHENTICATED_ERRORS,
  CASE_ACCESS_ERRORS,
  errorResponses,
  JSON_BODY_ERRORS,
  jsonBody,
  jsonResponse,
  OpenAPIRegistry,
  SameShape,
  uuidParam,
} from '@case-storage/platform';
import { RequestErrorCode } from '@case-storage/domain';
import { extendZodWithOpenApi } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { UploadErrorCode } from './upload.errors';
import { completeUploadBody, initUploadBody } from './upload.requests';
import type { UploadPolicyView } from './upload.service';
import type { FileRecordView, InitializedUpload } from './upload.views';

extendZodWithOpenApi(z);

/*
 * The upload API's OpenAPI description. Request bodies are the schemas the controller
 * parses with; response schemas mirror upload.views.ts and are checked against those
 * interfaces at compile time (SameShape below).
 */

const sha256Hex = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/)
  .openapi({ description: 'SHA-256 as 64 hexadecimal characters' });

/**
 * initUploadBody leaves path/size/sha256/contentType as `unknown` because the service
 * validates them with their own error codes (upload-entry.rules.ts); this is what it accepts.
 * Built by extending the real entry schema so a field added there shows up here too.
 */
const initUploadEntryDoc = initUploadBody.shape.files.element.extend({
  path: z
    .string()
    .openapi({
      description: 'Case-relative path with "/" separators, e.g. "Pleadings/motion.pdf" (INVALID_PATH otherwise)',
      example: 'Pleadings/motion.pdf',
    }),
  size: z.number().int().min(1).openapi({ description: 'Bytes; at most `maxFileSize` of the policy (INVALID_SIZE, FILE_TOO_LARGE)' }),
  sha256: sha256Hex,
  contentType: z
    .string()
    .openapi({ description: "One of the policy's `allowedContentTypes` (CONTENT_TYPE_NOT_ALLOWED)", example: 'application/pdf' }),
  parts: z
    .array(z.object({ sha256: sha256Hex }).strict())
    .optional()
    .openapi({
      description:
        'Required when `size > multipartThreshold`, forbidden otherwise: one SHA-256 per `partSize` slice of the file, in order (the last may be shorter). INVALID_PARTS otherwise.',
    }),
});
export const initUploadRequestDoc = initUploadBody
  .extend({
    files: z
      .array(initUploadEntryDoc)
      .openapi({ description: 'At least one, at most `maxFilesPerBatch` files (EMPTY_BATCH, TOO_MANY_FILES)' }),
  })
  .openapi('InitUploadRequest');

export const completeUploadRequestDoc = completeUploadBody.openapi('CompleteUploadRequest', {
  description:
    "Per file: `etag` and `versionId` (the PUT response's `ETag` and `x-amz-version-id` headers) for a single PUT, or `parts` with each part's ETag for a multipart upload.",
});

export const uploadPolicySchema = z
  .object({
    maxFilesPerBatch: z.number().int(),
    maxFileSize: z.number().int().openapi({ description: 'Bytes' }),
    multipartThreshold: z.number().int().openapi({ description: 'Files larger than this many bytes are uploaded in parts' }),
    partSize: z.number().int().openapi({ description: 'Bytes per part (the last part may be shorter)' }),
    maxParts: z.number().int(),
    allowedContentTypes: z.array(z.string()),
    urlTtlSeconds: z.number().int().openapi({ description: 'How long a pre-signed URL stays valid' }),
  })
  .openapi('UploadPolicy');

const headers = z
  .record(z.string())
  .openapi({ description: 'Send exactly these headers with the PUT (browsers set Content-Length themselves)' });

export const initializedUploadSchema = z
  .object({
    fileId: z.string().uuid(),
    uploadId: z.string().uuid(),
    path: z.string(),
    method: z.enum(['PUT', 'MULTIPART']),
    url: z.string().optional().openapi({ description: 'Single PUT only: the pre-signed URL' }),
    headers: headers.optional(),
    parts: z
      .array(z.object({ partNumber: z.number().int(), size: z.number().int(), url: z.string(), headers }))
      .optional()
      .openapi({ description: 'Multipart only: one pre-signed PUT per part' }),
    expiresAt: z.string().datetime().openapi({ description: 'When the pre-signed URLs expire (ISO-8601)' }),
  })
  .openapi('InitializedUpload');

export const fileRecordSchema = z
  .object({
    id: z.string().uuid(),
    caseId: z.string().uuid(),
    path: z.string(),
    kind: z.enum(['original', 'derived']),
    contentType: z.string(),
    size: z.number().int(),
    sha256: z.string(),
    version: z.object({
      id: z.string().uuid(),
      number: z.number().int(),
      s3VersionId: z.string(),
      etag: z.string(),
      committedAt: z.string().datetime(),
      committedBy: z.string(),
      verified: z.boolean().openapi({ description: 'Whether the whole-file SHA-256 has been confirmed against the stored bytes' }),
    }),
  })
  .openapi('FileRecord');

export const uploadEntryProblemSchema = z
  .object({
    index: z.number().int().openapi({ description: 'Index in `files`; -1 for the batch as a whole' }),
    code: z.nativeEnum(UploadErrorCode),
    message: z.string(),
    path: z.string().optional(),
    fileId: z.string().optional(),
  })
  .openapi('UploadEntryProblem', {
    description: "Batch errors list every bad entry in `details.errors`; the top-level `code` is the first one's.",
  });

// Fails to compile when a view in upload.views.ts / upload.service.ts and its schema drift apart.
const viewsMatch: [
  SameShape<z.infer<typeof uploadPolicySchema>, UploadPolicyView>,
  SameShape<z.infer<typeof initializedUploadSchema>, InitializedUpload>,
  SameShape<z.infer<typeof fileRecordSchema>, FileRecordView>,
] = [true, true, true];
void viewsMatch;

const caseIdParam = uuidParam('The case');
const BATCH_ERRORS_NOTE = ' Batch errors carry `details.errors`: UploadEntryProblem[].';

/** Every route of upload.controller.ts. */
export function registerUploadOpenApi(registry: OpenAPIRegistry): void {
  registry.register('UploadEntryProblem', uploadEntryProblemSchema);

  registry.registerPath({
    method: 'get',
    path: '/api/uploads/policy',
    operationId: 'getUploadPolicy',
    tags: ['uploads'],
    summary: 'The limits a client needs before it starts',
    responses: {
      200: jsonResponse('The upload policy', uploadPolicySchema),
      ...errorResponses(AUTHENTICATED_ERRORS),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/api/cases/{caseId}/files',
    operationId: 'initUploads',
    tags: ['uploads'],
    summary: 'Validate a batch and get pre-signed PUTs for it',
    description: 'Needs `editor` or `owner` on the case. The whole batch is refused when any entry is wrong.' + BATCH_ERRORS_NOTE,
    request: { params: z.object({ caseId: caseIdParam }), body: jsonBody(initUploadRequestDoc) },
    responses: {
      201: jsonResponse('One pre-signed request (or one per part) per file', z.object({ files: z.array(initializedUploadSchema) })),
      ...errorResponses(AUTHENTICATED_ERRORS, CASE_ACCESS_ERRORS, JSON_BODY_ERRORS, {
        400: [
          UploadErrorCode.EmptyBatch,
          UploadErrorCode.TooManyFiles,
          UploadErrorCode.InvalidPath,
          UploadErrorCode.PathCollision,
          UploadErrorCode.InvalidSize,
          UploadErrorCode.FileTooLarge,
          UploadErrorCode.InvalidSha256,
          UploadErrorCode.ContentTypeNotAllowed,
          UploadErrorCode.InvalidParts,
        ],
        409: [UploadErrorCode.PathConflict],
        503: [UploadErrorCode.StorageUnavailable],
      }),
    },
  });

  registry.registerPath({
    method: 'post',
    path: '/api/cases/{caseId}/files/complete',
    operationId: 'completeUploads',
    tags: ['uploads'],
    summary: 'Verify uploaded bytes against storage and commit them',
    description: 'All or nothing per batch; calling it again for committed files answers the same records.' + BATCH_ERRORS_NOTE,
    request: { params: z.object({ caseId: caseIdParam }), body: jsonBody(completeUploadRequestDoc) },
    responses: {
      201: jsonResponse('The committed files', z.object({ files: z.array(fileRecordSchema) })),
      ...errorResponses(AUTHENTICATED_ERRORS, CASE_ACCESS_ERRORS, JSON_BODY_ERRORS, {
        400: [UploadErrorCode.TooManyFiles, UploadErrorCode.InvalidParts, RequestErrorCode.ValidationFailed],
        404: [UploadErrorCode.UploadNotFound],
        409: [UploadErrorCode.UploadNotPending, UploadErrorCode.NotUploaded, UploadErrorCode.VersionConflict],
        422: [UploadErrorCode.EtagMismatch, UploadErrorCode.SizeMismatch, UploadErrorCode.ChecksumMismatch],
        503: [UploadErrorCode.StorageUnavailable],
      }),
    },
  });

  registry.registerPath({
    method: 'delete',
    path: '/api/cases/{caseId}/uploads/{uploadId}',
    operationId: 'abortUpload',
    tags: ['uploads'],
    summary: 'Abort a pending upload (and its multipart upload in storage)',
    description: 'Aborting an upload that already failed or expired is a no-op.',
    request: { params: z.object({ caseId: caseIdParam, uploadId: uuidParam('The `uploadId` from init') }) },
    responses: {
      204: { description: 'Aborted' },
      ...errorResponses(AUTHENTICATED_ERRORS, CASE_ACCESS_ERRORS, {
        404: [UploadErrorCode.UploadNotFound],
        409: [UploadErrorCode.UploadNotPending],
        503: [UploadErrorCode.StorageUnavailable],
      }),
    },
  });
}

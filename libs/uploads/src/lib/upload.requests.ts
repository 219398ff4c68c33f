import { z } from 'zod';

const uuid = z.string().uuid();

/** Shapes only; the rules with their own error codes (paths, sizes, types) live in the service. */
export const initUploadBody = z
  .object({
    files: z.array(
      z
        .object({
          path: z.unknown(),
          size: z.unknown(),
          sha256: z.unknown(),
          contentType: z.unknown(),
          parts: z.array(z.object({ sha256: z.unknown() }).strict()).optional(),
        })
        .strict(),
    ),
  })
  .strict();
export type InitUploadBody = z.infer<typeof initUploadBody>;

const singleCompletion = z
  .object({ fileId: uuid, uploadId: uuid.optional(), etag: z.string().min(1).max(200), versionId: z.string().min(1).max(1024) })
  .strict();
const multipartCompletion = z
  .object({
    fileId: uuid,
    uploadId: uuid,
    parts: z
      .array(z.object({ partNumber: z.number().int().min(1).max(10_000), etag: z.string().min(1).max(200) }).strict())
      .min(1)
      .max(10_000),
  })
  .strict();

export const completeUploadBody = z.object({ files: z.array(z.union([singleCompletion, multipartCompletion])).min(1) }).strict();
export type CompleteUploadBody = z.infer<typeof completeUploadBody>;
export type SingleCompletion = z.infer<typeof singleCompletion>;
export type MultipartCompletion = z.infer<typeof multipartCompletion>;
export type Completion = SingleCompletion | MultipartCompletion;

export const isMultipartCompletion = (c: Completion): c is MultipartCompletion => 'parts' in c;

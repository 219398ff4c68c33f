import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  PutObjectCommandInput,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { APP_CONFIG, AppConfig } from '@case-storage/config';
import { S3_CLIENT } from './s3-client.token';

/** A write that must not overwrite blindly: a new key, or the version the writer last saw. */
export type WriteCondition = { ifNoneMatch: '*' } | { ifMatch: string };

/** A request the browser sends as-is: every header here is part of the signature. */
export interface PresignedRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface StoredVersion {
  readonly versionId: string;
  readonly etag: string;
  readonly size: number;
  /** Base64 SHA-256 for single PUTs; `<base64>-<parts>` (checksum of checksums) for multipart. */
  readonly checksumSha256?: string;
}

export class PreconditionFailedError extends Error {
  constructor(readonly key: string) {
    super(`a newer version of ${key} exists`);
  }
}

/** Storage refused the bytes of a PUT: they do not hash to the checksum the writer declared. */
export class BadDigestError extends Error {
  constructor(readonly key: string) {
    super(`the bytes sent for ${key} do not match their declared SHA-256`);
  }
}

const statusOf = (err: unknown): number | undefined => (err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined);

function conditionHeaders(condition: WriteCondition): Record<string, string> {
  return 'ifNoneMatch' in condition ? { 'If-None-Match': '*' } : { 'If-Match': condition.ifMatch };
}

/** `attachment` with a quoted ASCII fallback and the exact UTF-8 name; nothing that could end the header. */
export function contentDisposition(fileName: string): string {
  const ascii = fileName.normalize('NFKD').replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_').slice(0, 150) || 'download';
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** `<base64 of SHA-256 over the parts' raw digests>-<count>`, as S3 reports a multipart checksum. */
export function compositeChecksum(partChecksumsBase64: readonly string[]): string {
  const digests = Buffer.concat(partChecksumsBase64.map((c) => Buffer.from(c, 'base64')));
  return `${createHash('sha256').update(digests).digest('base64')}-${partChecksumsBase64.length}`;
}

/**
 * The object-storage adapter: pre-signing, multipart, HEAD by version and streaming reads.
 * Keys and conditions come from the caller; this class knows S3, not our rules.
 */
@Injectable()
export class ObjectStore {
  private readonly bucket: string;

  constructor(
    @Inject(S3_CLIENT) private readonly s3: S3Client,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.bucket = config.s3.bucket;
  }

  /**
   * A pre-signed single PUT. Length, type, checksum and condition are signed headers (not
   * query parameters: some servers do not enforce a hoisted checksum), so storage rejects
   * any other bytes, size or precondition.
   */
  async presignPut(input: {
    key: string;
    contentLength: number;
    contentType: string;
    sha256Base64: string;
    condition: WriteCondition;
    expiresInSeconds: number;
  }): Promise<PresignedRequest> {
    const command = new PutObjectCommand({
      Bucket: this.bucket,
      Key: input.key,
      ContentLength: input.contentLength,
      ContentType: input.contentType,
      ChecksumSHA256: input.sha256Base64,
      ...('ifNoneMatch' in input.condition ? { IfNoneMatch: '*' } : { IfMatch: input.condition.ifMatch }),
    });
    const headers = {
      'Content-Type': input.contentType,
      'Content-Length': String(input.contentLength),
      'x-amz-checksum-sha256': input.sha256Base64,
      ...conditionHeaders(input.condition),
    };
    return { url: await this.sign(command, headers, input.expiresInSeconds), headers };
  }

  async createMultipartUpload(input: { key: string; contentType: string }): Promise<string> {
    const out = await this.s3.send(
      new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: input.key, ContentType: input.contentType, ChecksumAlgorithm: 'SHA256' }),
    );
    if (!out.UploadId) throw new Error(`storage returned no upload id for ${input.key}`);
    return out.UploadId;
  }

  async presignPart(input: {
    key: string;
    uploadId: string;
    partNumber: number;
    contentLength: number;
    sha256Base64: string;
    expiresInSeconds: number;
  }): Promise<PresignedRequest> {
    const command = new UploadPartCommand({
      Bucket: this.bucket,
      Key: input.key,
      UploadId: input.uploadId,
      PartNumber: input.partNumber,
      ContentLength: input.contentLength,
      ChecksumSHA256: input.sha256Base64,
    });
    const headers = { 'Content-Length': String(input.contentLength), 'x-amz-checksum-sha256': input.sha256Base64 };
    return { url: await this.sign(command, headers, input.expiresInSeconds), headers };
  }

  /**
   * Completes a multipart upload under the writer's condition. Throws
   * {@link PreconditionFailedError} on 412; resolves `null` when storage no longer knows
   * the upload (already completed or aborted).
   */
  async completeMultipartUpload(input: {
    key: string;
    uploadId: string;
    parts: ReadonlyArray<{ partNumber: number; etag: string; sha256Base64: string }>;
    condition: WriteCondition;
  }): Promise<{ versionId: string; etag: string } | null> {
    try {
      const out = await this.s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: this.bucket,
          Key: input.key,
          UploadId: input.uploadId,
          MultipartUpload: { Parts: input.parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag, ChecksumSHA256: p.sha256Base64 })) },
          ...('ifNoneMatch' in input.condition ? { IfNoneMatch: '*' } : { IfMatch: input.condition.ifMatch }),
        }),
      );
      if (!out.VersionId || !out.ETag) throw new Error(`storage completed ${input.key} without a version id or ETag; is versioning on?`);
      return { versionId: out.VersionId, etag: out.ETag };
    } catch (err) {
      if (statusOf(err) === 412) throw new PreconditionFailedError(input.key);
      if (err instanceof S3ServiceException && err.name === 'NoSuchUpload') return null;
      throw err;
    }
  }

  /** Idempotent: an upload that is already gone counts as aborted. */
  async abortMultipartUpload(input: { key: string; uploadId: string }): Promise<void> {
    try {
      await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: input.key, UploadId: input.uploadId }));
    } catch (err) {
      if (statusOf(err) === 404 || (err instanceof S3ServiceException && err.name === 'NoSuchUpload')) return;
      throw err;
    }
  }

  /** HEAD of one exact version; `null` when that version does not exist for this key. */
  async headVersion(key: string, versionId: string): Promise<StoredVersion | null> {
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId, ChecksumMode: 'ENABLED' }));
      return {
        versionId: out.VersionId ?? versionId,
        etag: out.ETag ?? '',
        size: out.ContentLength ?? -1,
        checksumSha256: out.ChecksumSHA256,
      };
    } catch (err) {
      // A malformed version id is a 400 on some servers: it is just as absent.
      const status = statusOf(err);
      if (status === 404 || status === 400) return null;
      throw err;
    }
  }

  /** HEAD of a key's current version (with its checksum); `null` when the key does not exist. */
  async headCurrent(key: string): Promise<StoredVersion | null> {
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }));
      if (!out.VersionId) throw new Error(`storage returned no version id for ${key}: is versioning on?`);
      return { versionId: out.VersionId, etag: out.ETag ?? '', size: out.ContentLength ?? -1, checksumSha256: out.ChecksumSHA256 };
    } catch (err) {
      if (statusOf(err) === 404) return null;
      throw err;
    }
  }

  /**
   * A server-side conditional PUT of known bytes: the length and SHA-256 travel with the
   * request, so storage stores exactly these bytes or refuses them (`BadDigestError`);
   * the condition makes a lost race a `PreconditionFailedError`, never an overwrite.
   * `body` is consumed once, so this call does not retry on its own.
   */
  async putObject(input: {
    key: string;
    body: NodeJS.ReadableStream | Uint8Array;
    contentLength: number;
    contentType: string;
    sha256Base64: string;
    condition: WriteCondition;
  }): Promise<{ versionId: string; etag: string }> {
    try {
      const out = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: input.key,
          Body: input.body as PutObjectCommandInput['Body'],
          ContentLength: input.contentLength,
          ContentType: input.contentType,
          ChecksumSHA256: input.sha256Base64,
          ...('ifNoneMatch' in input.condition ? { IfNoneMatch: '*' } : { IfMatch: input.condition.ifMatch }),
        }),
      );
      if (!out.VersionId || !out.ETag) throw new Error(`storage returned no version id or ETag for ${input.key}: is versioning on?`);
      return { versionId: out.VersionId, etag: out.ETag };
    } catch (err) {
      const status = statusOf(err);
      if (status === 412) throw new PreconditionFailedError(input.key);
      if (status === 400 && err instanceof S3ServiceException && /digest|checksum/i.test(`${err.name} ${err.message}`)) {
        throw new BadDigestError(input.key);
      }
      throw err;
    }
  }

  /** The bytes of one exact version, streamed. */
  async getVersion(key: string, versionId: string): Promise<AsyncIterable<Uint8Array>> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
    if (!out.Body) throw new Error(`storage returned no body for ${key}@${versionId}`);
    return out.Body as AsyncIterable<Uint8Array>;
  }

  /** The stored versions of a key, newest first (bounded: a file has few). */
  async listVersions(key: string, max = 100): Promise<StoredVersion[]> {
    const out = await this.s3.send(new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: key, MaxKeys: max }));
    return (out.Versions ?? [])
      .filter((v) => v.Key === key && v.VersionId)
      .map((v) => ({ versionId: v.VersionId as string, etag: v.ETag ?? '', size: v.Size ?? -1 }));
  }

  /** Streams one version through SHA-256 (hex) without holding it in memory. */
  async sha256OfVersion(key: string, versionId: string): Promise<{ sha256Hex: string; size: number }> {
    const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
    if (!out.Body) throw new Error(`storage returned no body for ${key}@${versionId}`);
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of out.Body as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { sha256Hex: hash.digest('hex'), size };
  }

  /**
   * A short-lived pre-signed GET of one version. The browser saves it under `fileName`,
   * made safe for the header (RFC 6266 / 5987): an ASCII fallback plus the UTF-8 name.
   */
  async presignGet(input: { key: string; versionId: string; fileName: string; contentType: string; expiresInSeconds: number }): Promise<string> {
    return getSignedUrl(
      this.s3,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: input.key,
        VersionId: input.versionId,
        ResponseContentDisposition: contentDisposition(input.fileName),
        ResponseContentType: input.contentType,
      }),
      { expiresIn: input.expiresInSeconds },
    );
  }

  private sign(command: PutObjectCommand | UploadPartCommand, headers: Record<string, string>, expiresIn: number): Promise<string> {
    const names = Object.keys(headers).map((h) => h.toLowerCase());
    const options = {
      expiresIn,
      signableHeaders: new Set(names),
      unhoistableHeaders: new Set(names.filter((h) => h.startsWith('x-amz-'))),
    };
    return command instanceof PutObjectCommand ? getSignedUrl(this.s3, command, options) : getSignedUrl(this.s3, command, options);
  }
}

import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { AppConfig } from '@case-storage/config';

/**
 * The SDK's own log lines. It logs every failed command with its whole input at `error`,
 * and a routine warning when a streaming PUT fails (it cannot be retried); callers handle
 * and log those errors themselves (a 412 on a conditional write is expected), so both are
 * dropped. Other warnings (deprecations, clock skew) still reach stderr.
 */
const sdkLogger = {
  debug: (): void => undefined,
  info: (): void => undefined,
  warn: (...args: unknown[]): void => {
    if (!String(args[0]).includes('non-retryable streaming request')) console.warn(...args);
  },
  error: (): void => undefined,
};

/** The one place an S3 client is configured. Checksums are computed only when a caller asks. */
export function createS3Client(s3: AppConfig['s3']): S3Client {
  return new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: s3.forcePathStyle,
    credentials:
      s3.accessKeyId && s3.secretAccessKey
        ? { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey.reveal() }
        : undefined,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
    logger: sdkLogger,
  });
}

/** Readiness probe: the bucket exists and our credentials can reach it. */
export async function pingObjectStorage(client: S3Client, bucket: string): Promise<void> {
  await client.send(new HeadBucketCommand({ Bucket: bucket }));
}

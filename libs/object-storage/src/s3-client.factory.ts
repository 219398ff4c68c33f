import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { AppConfig } from '@case-storage/config';

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
  });
}

/** Readiness probe: the bucket exists and our credentials can reach it. */
export async function pingObjectStorage(client: S3Client, bucket: string): Promise<void> {
  await client.send(new HeadBucketCommand({ Bucket: bucket }));
}

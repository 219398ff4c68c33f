#!/usr/bin/env node
// Idempotently sets up the development bucket on the local S3 server:
// creates it, enables versioning and puts a browser-upload CORS configuration.
// Called by s3.sh start; needs @aws-sdk/client-s3 from the repo's node_modules.
//
// Env: S3_ENDPOINT (http://127.0.0.1:57070), S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION,
//      S3_BUCKET (case-storage), S3_CORS_ORIGINS (comma-separated, default "*").
import {
  S3Client,
  CreateBucketCommand,
  HeadBucketCommand,
  PutBucketVersioningCommand,
  GetBucketVersioningCommand,
  PutBucketCorsCommand,
} from '@aws-sdk/client-s3';

const env = (name, dflt) => process.env[name] || dflt;
const endpoint = env('S3_ENDPOINT', `http://127.0.0.1:${env('S3_PORT', '57070')}`);
const Bucket = env('S3_BUCKET', 'case-storage');
const origins = env('S3_CORS_ORIGINS', '*').split(',').map((o) => o.trim()).filter(Boolean);

const s3 = new S3Client({
  endpoint,
  region: env('S3_REGION', 'us-east-1'),
  forcePathStyle: true,
  credentials: {
    accessKeyId: env('S3_ACCESS_KEY', 'casestorage'),
    secretAccessKey: env('S3_SECRET_KEY', 'casestorage-dev-secret'),
  },
});

const log = (msg) => console.error(`[s3-bucket] ${msg}`);

async function ensureBucket() {
  try {
    await s3.send(new HeadBucketCommand({ Bucket }));
    log(`bucket ${Bucket} exists`);
    return;
  } catch (err) {
    if (err?.$metadata?.httpStatusCode !== 404) throw err;
  }
  try {
    await s3.send(new CreateBucketCommand({ Bucket }));
    log(`bucket ${Bucket} created`);
  } catch (err) {
    if (err?.name !== 'BucketAlreadyOwnedByYou') throw err;
    log(`bucket ${Bucket} exists`);
  }
}

async function ensureVersioning() {
  const current = await s3.send(new GetBucketVersioningCommand({ Bucket }));
  if (current.Status === 'Enabled') {
    log('versioning already Enabled');
    return;
  }
  await s3.send(
    new PutBucketVersioningCommand({ Bucket, VersioningConfiguration: { Status: 'Enabled' } }),
  );
  const after = await s3.send(new GetBucketVersioningCommand({ Bucket }));
  if (after.Status !== 'Enabled') throw new Error(`versioning is ${after.Status}, expected Enabled`);
  log('versioning Enabled');
}

async function ensureCors() {
  // PutBucketCors replaces the whole configuration, so repeating it is harmless.
  await s3.send(
    new PutBucketCorsCommand({
      Bucket,
      CORSConfiguration: {
        CORSRules: [
          {
            AllowedOrigins: origins,
            AllowedMethods: ['PUT', 'GET', 'HEAD'],
            AllowedHeaders: ['*'],
            ExposeHeaders: ['ETag', 'x-amz-version-id', 'x-amz-checksum-sha256'],
            MaxAgeSeconds: 3600,
          },
        ],
      },
    }),
  );
  log(`CORS set (origins ${origins.join(',')}; PUT/GET/HEAD; expose ETag, x-amz-version-id, x-amz-checksum-sha256)`);
}

try {
  await ensureBucket();
  await ensureVersioning();
  await ensureCors();
} catch (err) {
  log(`failed against ${endpoint}: ${err?.name ?? 'Error'}: ${err?.message ?? err}`);
  process.exit(1);
}

import { z } from 'zod';
import { secret } from './common.js';

export const lakeSection = z
  .object({
    kind: z.enum(['local', 's3']).default('local').describe('Local folder or S3 bucket (set automatically to s3 when S3_ENDPOINT or S3_BUCKET is given).'),
    path: z.string().default('./kots-lake').describe('Folder of the local lake.'),
    bucket: z.string().optional().describe('S3 bucket of the lake.'),
    prefix: z.string().default('').describe('Key prefix inside the bucket.'),
    endpoint: z.url().optional().describe('S3 endpoint for S3-compatible stores (MinIO, ...); empty for AWS.'),
    region: z.string().default('us-east-1').describe('S3 region.'),
    accessKeyId: secret.optional().describe('S3 access key id (else the AWS default chain).'),
    secretAccessKey: secret.optional().describe('S3 secret access key.'),
    forcePathStyle: z.boolean().default(true).describe('Path-style addressing (needed by most S3-compatible stores).'),
  })
  .strict()
  .refine((l) => l.kind !== 's3' || l.bucket, { message: 'lake.kind is s3 but no bucket is set (lake.bucket or S3_BUCKET)', path: ['bucket'] });

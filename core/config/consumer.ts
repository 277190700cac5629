import { z } from 'zod';
import { port, secretUrl } from './common.js';

export const consumerSection = z
  .object({
    groupId: z.string().default('kots-consumer').describe('Kafka consumer group.'),
    batchMaxRecords: z.number().int().positive().default(5000).describe("A partition's batch is written when it holds this many records."),
    batchMaxAgeMs: z.number().int().positive().default(5_000).describe('... or when its oldest record is this old.'),
    groupCommitMs: z
      .number()
      .int()
      .positive()
      .default(25)
      .describe(
        "In-process bus (`kots up` without Kafka): write the waiting readings once no new one has arrived for this long, so a device's acknowledgement waits milliseconds instead of batchMaxAgeMs.",
      ),
    sessionTimeoutMs: z
      .number()
      .int()
      .min(6000)
      .default(30_000)
      .describe('Kafka group session timeout: how long a dead consumer holds its partitions before the group moves them.'),
    alertsWebhookUrl: secretUrl
      .optional()
      .describe('Slack-compatible incoming webhook that `kots alerts` posts each surreal event to (retried with back-off).'),
    alertsGroupId: z.string().default('kots-alerts').describe('Consumer group of `kots alerts` (it resumes where it stopped).'),
    maxBufferedBytes: z
      .number()
      .int()
      .positive()
      .default(8 * 1024 * 1024)
      .describe(
        'Fetching pauses while batches hold more than this many bytes of records, written or not yet committed (about two full batches of readings, kept as their own text). When it is reached the open batches are written as they are, so the consumer stays within 256 MiB resident.',
      ),
    metricsPort: port
      .optional()
      .describe(
        'HTTP port of /metrics (Prometheus: records, lag per partition, batch write latency, buffered bytes, dead letters) and /healthz (0 picks a free port; unset: no HTTP server).',
      ),
    metricsHost: z.string().default('127.0.0.1').describe('Address the metrics port listens on; 0.0.0.0 lets a Prometheus on another machine scrape it.'),
  })
  .strict();

/**
 * A record of the `surreal-events` topic as the consumer writes it
 * (consumer/pipeline.ts SurrealAlert), checked before anyone formats it.
 * Anything with access to the topic can write to it, so `kots alerts` and the
 * dashboard treat each record as untrusted: a record of the wrong shape is
 * logged and skipped, never retried forever.
 */
import { z } from 'zod';
import type { SurrealAlert } from './pipeline.js';

const text = z.string().min(1).max(400);

export const surrealAlertSchema = z.object({
  readingId: text,
  city: text,
  cityName: text,
  deviceId: text,
  observedAt: text,
  localTime: text,
  eventId: z.number().int().min(0).max(1000),
  eventName: text,
  newsflash: text,
}) satisfies z.ZodType<SurrealAlert>;

export type AlertVerdict = { ok: true; alert: SurrealAlert } | { ok: false; reason: string };

/** Never throws: a record that is not an alert is a value to log and skip. */
export function parseAlertRecord(bytes: Buffer | string | null | undefined): AlertVerdict {
  let value: unknown;
  try {
    value = JSON.parse(typeof bytes === 'string' ? bytes : (bytes?.toString('utf8') ?? ''));
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  const result = surrealAlertSchema.safeParse(value);
  if (result.success) return { ok: true, alert: result.data };
  const issue = result.error.issues[0];
  return { ok: false, reason: issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'not a surreal-events alert' };
}

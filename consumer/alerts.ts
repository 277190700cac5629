/**
 * `kots alerts`: follows `surreal-events`, prints one line per event, and
 * optionally posts it to a Slack-compatible webhook. An event's offset is
 * committed only after the webhook accepted it, so a webhook outage delays
 * alerts but never drops them.
 */
import type { Logger } from 'pino';
import type { KotsConfig } from '../core/config/index.js';
import { KotsError, errorMessage } from '../core/errors.js';
import { escapeMrkdwn } from '../core/escape.js';
import { createKafka, ensureTopics } from '../core/kafka.js';
import { retryUntilDone } from '../core/retry.js';
import { parseAlertRecord } from './alert-record.js';
import type { SurrealAlert } from './pipeline.js';

export function formatAlert(alert: SurrealAlert): string {
  return `${alert.localTime.replace('T', ' ').slice(0, 16)} ${alert.cityName} · ${alert.eventName} — ${alert.newsflash}`;
}

/**
 * Slack's incoming-webhook body: `text` plus blocks for clients that render them.
 * Both are mrkdwn, so every field is escaped: the city name comes from a device.
 */
export function webhookBody(alert: SurrealAlert): unknown {
  const [eventName, cityName, newsflash, localTime, readingId, deviceId] = [
    alert.eventName,
    alert.cityName,
    alert.newsflash,
    alert.localTime.replace('T', ' ').slice(0, 16),
    alert.readingId,
    alert.deviceId,
  ].map(escapeMrkdwn);
  return {
    text: `:sparkles: ${eventName} in ${cityName}: ${newsflash}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${eventName}* · ${cityName} · ${localTime} local\n${newsflash}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `reading ${readingId} from ${deviceId}` }] },
    ],
  };
}

export async function postWebhook(url: string, alert: SurrealAlert, signal?: AbortSignal): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(webhookBody(alert)),
    signal: AbortSignal.any([AbortSignal.timeout(10_000), ...(signal ? [signal] : [])]),
  });
  if (!response.ok) {
    // 4xx other than 429 means the webhook itself is wrong: retrying cannot help, but dropping would lose the alert.
    const retryable = response.status >= 500 || response.status === 429;
    throw new KotsError('SOURCE_FAILED', `webhook answered HTTP ${response.status}`, { retryable });
  }
}

export interface AlertsOptions {
  config: KotsConfig;
  logger: Logger;
  fromBeginning?: boolean;
  onAlert?: (alert: SurrealAlert, line: string) => void;
}

export async function followAlerts({ config, logger, fromBeginning = false, onAlert }: AlertsOptions): Promise<{ stop(): Promise<void> }> {
  const kafka = createKafka(config.kafka, logger, '-alerts');
  await ensureTopics(kafka, config.kafka);
  const consumer = kafka.consumer({ groupId: config.consumer.alertsGroupId, sessionTimeout: config.consumer.sessionTimeoutMs });
  const abort = new AbortController();
  const webhook = config.consumer.alertsWebhookUrl;
  await consumer.connect();
  await consumer.subscribe({ topic: config.kafka.eventsTopic, fromBeginning });
  await consumer.run({
    eachMessage: async ({ partition, message, heartbeat }) => {
      const verdict = parseAlertRecord(message.value);
      if (!verdict.ok) {
        // Retrying cannot fix a record; blocking on it would stop every alert after it.
        logger.warn(
          { topic: config.kafka.eventsTopic, partition, offset: message.offset, reason: verdict.reason },
          'skipping a record on the events topic that is not a surreal event',
        );
        return;
      }
      const alert = verdict.alert;
      const line = formatAlert(alert);
      (onAlert ?? ((_, l) => process.stdout.write(`${l}\n`)))(alert, line);
      if (!webhook) return;
      await retryUntilDone(() => postWebhook(webhook, alert, abort.signal), {
        signal: abort.signal,
        isRetryable: () => true,
        maxMs: 30_000,
        onError: (error, attempt) => {
          void heartbeat();
          if (attempt % 5 === 0) logger.warn({ err: errorMessage(error), attempt }, 'webhook failed; retrying (the alert is kept until it succeeds)');
        },
      });
    },
  });
  return {
    async stop() {
      abort.abort(new Error('alerts stopping'));
      await consumer.disconnect();
    },
  };
}

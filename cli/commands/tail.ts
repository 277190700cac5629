/**
 * `kots tail`: watch readings, surreal events or the dead-letter topic live, the way
 * mosquitto_sub watches a topic. Readings come from Kafka when it is configured, else from the
 * MQTT broker (`--from` chooses); events and dead letters live in Kafka only. One line of words
 * per message, or the message itself with --json. A throw-away consumer group: tailing never
 * moves the offsets of the real stages.
 */
import { Argument, Option, type Command } from 'commander';
import { KotsError } from '../../core/errors.js';
import { checkServers, loadContextAsync, onShutdown } from '../context.js';
import { examples } from '../help.js';

interface TailOptions {
  from?: 'kafka' | 'mqtt';
  city?: string;
  json?: boolean;
  fromBeginning?: boolean;
  count?: number;
  url?: string;
}

function positive(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new KotsError('USAGE', `--count expects a positive whole number, got "${text}"`);
  return value;
}

export function registerTailCommand(program: Command): void {
  program
    .command('tail')
    .description('watch readings, surreal events or the dead-letter topic live (like mosquitto_sub): one line per message')
    .addArgument(new Argument('[what]', 'readings, events or dlq').choices(['readings', 'events', 'dlq']).default('readings'))
    .addOption(
      new Option('--from <source>', 'where readings are read: kafka (the weather topic) or mqtt (the broker); default kafka when kafka.brokers is set').choices(
        ['kafka', 'mqtt'],
      ),
    )
    .option('--city <slug>', 'only this city')
    .option('--json', 'print each message as it is (one JSON document per line)')
    .option('--from-beginning', 'Kafka: start from the oldest message the topic holds, not from now')
    .option('-n, --count <n>', 'exit after this many messages', positive)
    .option('--url <url>', 'MQTT broker to subscribe to (default mqtt.url)')
    .addHelpText(
      'after',
      examples(
        'kots tail',
        'kots tail readings --from mqtt --city takamatsu',
        'kots tail events --from-beginning',
        'kots tail dlq --json | jq .',
        'kots tail readings -n 10 --json > ten.jsonl',
      ),
    )
    .action(async (what: 'readings' | 'events' | 'dlq', opts: TailOptions, command: Command) => {
      if (opts.city !== undefined && !/^[a-z0-9-]+$/.test(opts.city))
        throw new KotsError('USAGE', `--city expects a city slug (a-z, 0-9, -), got "${opts.city}"`);
      const { config, logger } = await loadContextAsync(command, opts.url ? { 'mqtt.url': opts.url } : {}, 'kots-tail');
      const hasKafka = config.kafka.brokers.length > 0;
      const source = what === 'readings' ? (opts.from ?? (hasKafka ? 'kafka' : 'mqtt')) : 'kafka';
      if (what !== 'readings' && opts.from === 'mqtt')
        throw new KotsError(
          'USAGE',
          `${what} are in Kafka only (${what === 'events' ? config.kafka.eventsTopic : config.kafka.deadLetterTopic}); drop --from mqtt`,
        );
      if (source === 'kafka' && !hasKafka) {
        throw new KotsError(
          'CONFIG_INVALID',
          `kafka.brokers: ${what === 'readings' ? 'readings from Kafka need' : `${what} live in Kafka and need`} KAFKA_BROKERS${what === 'readings' ? ' (or use --from mqtt)' : ''}`,
        );
      }
      const { readingLine, eventLine, deadLetterLine } = await import('../tail/format.js');
      let seen = 0;
      let stop: () => Promise<void> = async () => {};
      const emit = (line: string) => {
        process.stdout.write(`${line}\n`);
        seen++;
        if (opts.count !== undefined && seen >= opts.count) void stop().then(() => process.exit(0));
      };
      const wanted = (city: string | undefined) => opts.city === undefined || city === opts.city;

      if (source === 'mqtt') {
        const { default: mqtt } = await import('mqtt');
        const url = config.mqtt.url;
        const client = mqtt.connect(url, {
          clientId: `kots-tail-${process.pid}`,
          reconnectPeriod: 2000,
          ...(config.mqtt.username !== undefined ? { username: config.mqtt.username } : {}),
          ...(config.mqtt.password !== undefined ? { password: config.mqtt.password } : {}),
        });
        await new Promise<void>((resolve, reject) => {
          client.once('connect', () => resolve());
          client.once('error', (error) => reject(new KotsError('SOURCE_FAILED', `cannot subscribe at ${url} (mqtt.url, --url): ${error.message}`)));
        });
        const topic = `kots/v1/${opts.city ?? '+'}/+/weather`;
        client.subscribe(topic, { qos: 0 });
        client.on('message', (_topic, payload) => emit(opts.json ? payload.toString() : readingLine(payload.toString())));
        process.stderr.write(`kots tail: ${topic} at ${url}; Ctrl-C stops\n`);
        stop = () => new Promise<void>((resolve) => client.end(false, {}, () => resolve()));
        onShutdown(stop, logger, { quiet: true });
        return;
      }

      await checkServers(config, { kafka: true });
      const [{ createKafka }, { parseAlertRecord }] = await Promise.all([import('../../core/kafka.js'), import('../../consumer/alert-record.js')]);
      const topic = what === 'readings' ? config.kafka.weatherTopic : what === 'events' ? config.kafka.eventsTopic : config.kafka.deadLetterTopic;
      const kafka = createKafka(config.kafka, logger, '-tail');
      const groupId = `kots-tail-${process.pid}-${Date.now().toString(36)}`;
      const consumer = kafka.consumer({ groupId });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: opts.fromBeginning ?? false });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          const text = message.value?.toString('utf8') ?? '';
          const headers = Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v ?? '')]),
          );
          if (what === 'readings') {
            if (!wanted(message.key?.toString('utf8'))) return;
            return emit(opts.json ? text : readingLine(text));
          }
          if (what === 'events') {
            const verdict = parseAlertRecord(message.value);
            if (!verdict.ok || !wanted(verdict.alert.city)) return;
            return emit(opts.json ? text : eventLine(verdict.alert));
          }
          if (opts.city !== undefined && !(headers['kots-mqtt-topic'] ?? '').startsWith(`kots/v1/${opts.city}/`)) return;
          emit(opts.json ? JSON.stringify({ offset: message.offset, headers, payload: text }) : deadLetterLine(message.offset, headers, text));
        },
      });
      process.stderr.write(
        `kots tail: Kafka topic ${topic} at ${config.kafka.brokers.join(',')}${opts.fromBeginning ? ' from the beginning' : ''}; Ctrl-C stops\n`,
      );
      stop = async () => {
        await consumer.disconnect();
        // A throw-away group: remove it so that tailing leaves nothing behind on the cluster.
        const admin = kafka.admin();
        await admin.connect();
        await admin.deleteGroups([groupId]).catch(() => undefined);
        await admin.disconnect();
      };
      onShutdown(stop, logger, { quiet: true });
    });
}

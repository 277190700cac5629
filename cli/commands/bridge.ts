import type { Command } from 'commander';
import { KotsError } from '../../core/errors.js';
import { checkServers, loadContextAsync, onShutdown } from '../context.js';
import { examples } from '../help.js';
import { reexecWith } from '../runtime-flags.js';

/**
 * The young generation capped at 2 x 16 MB (Node 24 grows it to 2 x 64 MB). A connect burst of
 * 10,000 devices grew it to its maximum, and the bridge kept that memory while idle: ~10 KB of RSS
 * per device at 10,000 devices. Same session, bench/bridge-throughput.ts at 10,000 connections
 * (bench/README.md): per device 19.3 KB (64 MB) / 12.1 KB (16 MB) / 15.1 KB (4 MB), CPU per 1,000
 * readings 76 / 76 / 95 ms (4 MB: in-flight readings outlive scavenges and get promoted).
 */
export const BRIDGE_V8_FLAGS = ['--max-semi-space-size=16'];

export function registerBridgeCommand(program: Command): void {
  program
    .command('bridge')
    .description(
      'run the MQTT bridge: devices publish readings (its own MQTT server, or an external broker with bridge.externalBrokerUrl), the bridge validates them and produces them to Kafka',
    )
    .addHelpText('after', examples('KAFKA_BROKERS=localhost:9092 kots bridge', 'kots --config config/central.yaml bridge'))
    .action(async (_opts, command: Command) => {
      reexecWith(BRIDGE_V8_FLAGS);
      const { config, logger } = await loadContextAsync(command, {}, 'kots-bridge');
      if (config.kafka.brokers.length === 0) {
        throw new KotsError('CONFIG_INVALID', 'kafka.brokers: the bridge needs Kafka (set KAFKA_BROKERS or kafka.brokers); `kots up` runs without it');
      }
      // Settled before touching the network (startBridge checks again for other callers).
      const { anonymousExposure } = await import('../../bridge/access.js');
      const exposure = config.bridge.externalBrokerUrl
        ? undefined
        : anonymousExposure(config.bridge, Boolean(config.bridge.registryFile ?? config.bridge.registryVaultPath));
      if (exposure) throw new KotsError('USAGE', exposure);
      await checkServers(config, { kafka: true });
      const [{ startExternalBridge }, { startBridge }, { connectKafkaSink }] = await Promise.all([
        import('../../bridge/external.js'),
        import('../../bridge/index.js'),
        import('../../bridge/kafka-producer.js'),
      ]);
      const { sink } = await connectKafkaSink(config, logger, '-bridge');
      const bridge = config.bridge.externalBrokerUrl ? await startExternalBridge({ config, sink, logger }) : await startBridge({ config, sink, logger });
      onShutdown(async () => {
        await bridge.close();
        await sink.close();
      }, logger);
    });
}

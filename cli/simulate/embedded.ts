/**
 * The pipeline `kots simulate` runs in its own process when no --broker is
 * given, the way `kots up` runs it without Kafka: the embedded broker and
 * bridge on a free local port, the in-process bus and consumer, the lake from
 * the config (a local folder unless S3 is configured). A reading is
 * acknowledged to its simulated agent only once it is in the lake.
 */
import { startBridge, type BridgeHandle } from '../../bridge/index.js';
import { InProcessBus } from '../../consumer/in-process-bus.js';
import type { KotsConfig } from '../../core/config/index.js';
import type { Lake } from '../../core/lake/index.js';
import type { Logger } from '../../core/log.js';

/**
 * The simulated agents are our own, on this machine, replaying a month as fast
 * as the lake takes it: the per-device limits that protect the bridge from
 * misbehaving devices would only slow them to a real device's pace.
 */
const SIMULATION_RATE_PER_MINUTE = 10_000_000;
const SIMULATION_BURST = 100_000;

export interface EmbeddedPipeline {
  readonly brokerUrl: string;
  readonly bus: InProcessBus;
  /** Closes the broker, then writes what is buffered. */
  close(): Promise<void>;
}

export async function startEmbeddedPipeline(config: KotsConfig, lake: Lake, logger: Logger): Promise<EmbeddedPipeline> {
  const bus = await InProcessBus.open({ lake, config, logger });
  const {
    registryFile: _file,
    registryVaultPath: _vault,
    tlsPort: _tls,
    wsPort: _ws,
    metricsPort: _metrics,
    externalBrokerUrl: _external,
    ...bridge
  } = config.bridge;
  let handle: BridgeHandle;
  try {
    handle = await startBridge({
      config: { ...config, bridge: { ...bridge, host: '127.0.0.1', port: 0, maxMessagesPerMinute: SIMULATION_RATE_PER_MINUTE, rateBurst: SIMULATION_BURST } },
      sink: bus,
      // Our own agents on loopback, no registry on purpose: the bridge's warning about anonymous devices is noise here.
      logger: logger.child({}, { level: 'error' }),
    });
  } catch (error) {
    await bus.close();
    throw error;
  }
  const bridgeHandle = handle;
  return {
    brokerUrl: `mqtt://127.0.0.1:${bridgeHandle.listeners.port}`,
    bus,
    async close() {
      await bridgeHandle.close();
      await bus.close();
    },
  };
}

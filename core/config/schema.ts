import { z } from 'zod';
import { agentSection } from './agent.js';
import { bridgeSection } from './bridge.js';
import { consolidateSection } from './consolidate.js';
import { consumerSection } from './consumer.js';
import { dashboardSection } from './dashboard.js';
import { duckdbSection } from './duckdb.js';
import { fleetSection } from './fleet.js';
import { kafkaSection } from './kafka.js';
import { lakeSection } from './lake.js';
import { logSection } from './log.js';
import { mqttSection } from './mqtt.js';
import { upSection } from './up.js';
import { vaultSection } from './vault.js';

/** The one place every kots setting is declared, with its default and documentation. */
export const configSchema = z
  .object({
    log: logSection.default(logSection.parse({})),
    mqtt: mqttSection.default(mqttSection.parse({})),
    agent: agentSection.default(agentSection.parse({})),
    bridge: bridgeSection.default(bridgeSection.parse({})),
    kafka: kafkaSection.default(kafkaSection.parse({})),
    consumer: consumerSection.default(consumerSection.parse({})),
    lake: lakeSection.default(lakeSection.parse({})),
    duckdb: duckdbSection.default(duckdbSection.parse({})),
    consolidate: consolidateSection.default(consolidateSection.parse({})),
    up: upSection.default(upSection.parse({})),
    vault: vaultSection.default(vaultSection.parse({})),
    dashboard: dashboardSection.default(dashboardSection.parse({})),
    fleet: fleetSection.default(fleetSection.parse({})),
  })
  .strict();

export type KotsConfig = z.infer<typeof configSchema>;

import { z } from 'zod';
import { agentSection } from './agent.js';
import { bridgeSection, consumerSection, duckdbSection, kafkaSection, lakeSection, logSection, mqttSection, upSection } from './sections.js';

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
    up: upSection.default(upSection.parse({})),
  })
  .strict();

export type KotsConfig = z.infer<typeof configSchema>;

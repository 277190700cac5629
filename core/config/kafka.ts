import { z } from 'zod';
import { hostPort, secret } from './common.js';

export const kafkaSection = z
  .object({
    brokers: z.array(hostPort).default([]).describe('Kafka bootstrap servers; empty means no Kafka (`kots up` then hands readings over in-process).'),
    clientId: z.string().default('kots').describe('Kafka client id.'),
    weatherTopic: z.string().default('weather').describe('Topic of valid readings (key: city slug).'),
    deadLetterTopic: z.string().default('weather.dlq').describe('Topic of refused readings, with the reason in headers.'),
    eventsTopic: z.string().default('surreal-events').describe('Topic of detected surreal events.'),
    partitions: z.number().int().positive().default(3).describe('Partitions of topics kots creates.'),
    replicationFactor: z.number().int().positive().default(1).describe('Replication factor of topics kots creates.'),
    producerClient: z
      .enum(['auto', 'kafkajs', 'librdkafka'])
      .default('auto')
      .describe(
        'Kafka client that produces the readings (bridge, `kots up`): `librdkafka` (native, built once by `scripts/bridge/install-librdkafka-client.sh`; about 2x the rate of kafkajs at half the CPU), `kafkajs` (pure JavaScript, installed by npm), or `auto`: librdkafka when it is built, else kafkajs.',
      ),
    ssl: z.boolean().default(false).describe('Connect to Kafka with TLS.'),
    saslMechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional().describe('SASL mechanism, if the cluster needs one.'),
    saslUsername: z.string().optional().describe('SASL username.'),
    saslPassword: secret.optional().describe('SASL password.'),
  })
  .strict();

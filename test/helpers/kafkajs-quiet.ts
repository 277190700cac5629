/**
 * Test files that talk to Kafka with kafkajs directly (producing fixtures, reading topics back)
 * get the same filter for kafkajs' TimeoutNegativeWarning as kots' own processes (core/kafka.ts):
 * otherwise the worker that runs them prints the warning into the test output.
 */
import '../../core/kafka.js';

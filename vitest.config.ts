import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests spawn bin/kots.js: build its dist/ from the current sources first.
    globalSetup: ['test/helpers/build-cli.ts'],
    setupFiles: ['test/helpers/kafkajs-quiet.ts'],
    // Integration tests share one Kafka, one S3 server and one Mosquitto; they use
    // throw-away topics, groups and buckets, but run one file at a time so that
    // 2 cores are not swamped and timings stay honest.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});

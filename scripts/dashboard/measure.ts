/**
 * How fast the dashboard answers over a lake with history: seeds DAYS of
 * simulated readings (8 default cities, one every INTERVAL simulated minutes)
 * into a temporary local lake, starts the dashboard beside an embedded bridge,
 * and prints the latency of its endpoints and of a live reading from MQTT
 * publish to the browser's event stream.
 *
 *   npx tsx scripts/dashboard/measure.ts [DAYS=7] [INTERVAL_MINUTES=20]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { v7 as uuidv7 } from 'uuid';
import { runSimulation } from '../../agent/simulate.js';
import { startBridge } from '../../bridge/index.js';
import { hashCredential } from '../../bridge/registry/credentials.js';
import { writeRegistryFile } from '../../bridge/registry/registry.js';
import { InProcessBus } from '../../consumer/in-process-bus.js';
import { loadConfig } from '../../core/config/index.js';
import { openLake } from '../../core/lake/index.js';
import { silentLogger } from '../../core/log.js';
import { startDashboard } from '../../dashboard/index.js';

const days = Number(process.argv[2] ?? 7);
const intervalMinutes = Number(process.argv[3] ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'kots-dashboard-measure-'));
const say = (line: string) => process.stdout.write(`${line}\n`);

try {
  await writeRegistryFile(join(dir, 'registry.yaml'), {
    users: [{ name: 'ops', role: 'operator', hash: await hashCredential('measure-password', { ln: 10, r: 8, p: 1 }) }],
  });
  const config = loadConfig({
    env: {},
    overrides: {
      'lake.path': join(dir, 'lake'),
      'bridge.port': 0,
      'dashboard.port': 0,
      'dashboard.registryFile': join(dir, 'registry.yaml'),
      'consumer.batchMaxAgeMs': 300,
      'log.level': 'silent',
    },
  });
  const bus = await InProcessBus.open({ lake: openLake(config.lake), config, logger: silentLogger });
  const bridge = await startBridge({ config, sink: bus, logger: silentLogger });
  const brokerUrl = `mqtt://127.0.0.1:${bridge.listeners.port}`;
  const seeded = await runSimulation({
    config: { ...config, mqtt: { ...config.mqtt, url: brokerUrl }, agent: { ...config.agent, spoolDir: join(dir, 'spool') } },
    logger: silentLogger,
    from: new Date(Date.now() - days * 86_400_000),
    days,
    intervalMinutes,
  });
  await bus.pipeline.flushAll();
  say(
    `seeded ${seeded.readings} readings (${days} d, every ~${intervalMinutes} simulated min, ${seeded.cities} cities) in ${(seeded.elapsedMs / 1000).toFixed(1)} s`,
  );

  let started = performance.now();
  const dashboard = await startDashboard({ config, logger: silentLogger, brokerUrl });
  say(`dashboard start (lake seed included): ${(performance.now() - started).toFixed(0)} ms`);
  const login = await fetch(new URL('/api/login', dashboard.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'ops', password: 'measure-password' }),
  });
  const cookie = login.headers.get('set-cookie')?.split(';')[0];
  if (!cookie) throw new Error(`login failed (HTTP ${login.status}): no session cookie`);

  const time = async (path: string, runs = 5) => {
    const samples: number[] = [];
    let bytes = 0;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const response = await fetch(new URL(path, dashboard.url), { headers: { cookie } });
      bytes = (await response.arrayBuffer()).byteLength;
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    const median = samples[Math.floor(runs / 2)] ?? Number.NaN;
    const max = samples.at(-1) ?? Number.NaN;
    say(
      `${path.padEnd(40)} ${runs === 1 ? 'after refresh' : 'median'} ${median.toFixed(0).padStart(5)} ms  max ${max.toFixed(0).padStart(5)} ms  ${bytes} bytes`,
    );
  };
  await time('/api/snapshot');
  for (const period of ['1h', '24h', '7d', '30d']) await time(`/api/history?city=yakutsk&period=${period}`);
  await time('/api/heatmap?period=30d');
  // The summary is refreshed (yesterday and today) when a question finds it older than lakeRefreshSeconds.
  await new Promise((resolve) => setTimeout(resolve, config.dashboard.lakeRefreshSeconds * 1000 + 500));
  await time('/api/history?city=yakutsk&period=24h', 1);

  // Live path: MQTT publish -> dashboard subscription -> SSE `city` event.
  const stream = await fetch(new URL('/api/stream', dashboard.url), { headers: { cookie } });
  if (!stream.body) throw new Error(`/api/stream answered HTTP ${stream.status} without a body`);
  const reader = stream.body.getReader();
  const device = await mqtt.connectAsync(brokerUrl, { clientId: 'measure-device', protocolVersion: 4 });
  const latencies: number[] = [];
  for (let i = 0; i < 20; i++) {
    const reading = {
      v: 1,
      id: uuidv7(),
      device_id: 'measure-device',
      source: 'simulated',
      seq: i,
      observed_at: new Date().toISOString(),
      city: { slug: 'kochi', name: 'Kochi' },
      weather: {
        weather: [{ id: 800, main: 'Clear', description: 'clear sky', icon: '01d' }],
        main: { temp: 290 + i / 10, humidity: 50 },
        wind: { speed: 2 },
        timezone: 32400,
      },
    };
    started = performance.now();
    await device.publishAsync('kots/v1/kochi/measure-device/weather', JSON.stringify(reading), { qos: 0 });
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the dashboard closed its event stream');
      if (Buffer.from(value).toString().includes(`"observedAt":"${reading.observed_at}"`)) break;
    }
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);
  say(
    `live reading, MQTT publish -> SSE: median ${(latencies[10] ?? Number.NaN).toFixed(1)} ms, max ${(latencies.at(-1) ?? Number.NaN).toFixed(1)} ms (20 readings)`,
  );
  await reader.cancel();
  await device.endAsync();
  await dashboard.close();
  await bridge.close();
  await bus.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

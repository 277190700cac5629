import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startTestBroker, waitFor } from '/work/main/test/agent/broker.js';
import { tempDir } from '/work/main/test/agent/config.js';
for (const opts of ['', '--max-semi-space-size=1', '--lite-mode', '--lite-mode --max-semi-space-size=1 --max-old-space-size=24', '--jitless --max-semi-space-size=1']) {
  const broker = await startTestBroker();
  const dir = tempDir();
  const f = join(dir, 'a.yaml');
  writeFileSync(f, stringify({ log: { level: 'warn' }, mqtt: { url: broker.url, protocolVersion: 4 }, agent: { deviceId: 'b', city: { name: 'X', lat: 1, lon: 1 }, intervalMinSeconds: 3600, intervalMaxSeconds: 3600, spoolDir: join(dir, 's') } }));
  const c = spawn('/work/main/dist/agent/kots-agent-linux-x64', ['--config', f], { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: opts } });
  await waitFor(() => broker.received.some((m) => m.topic.endsWith('/status')), 'online');
  await new Promise((r) => setTimeout(r, 4000));
  console.log(opts.padEnd(70), (Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${c.pid}/status`, 'utf8'))![1]) / 1024).toFixed(1));
  c.kill(); await new Promise((r) => c.once('exit', r)); await broker.close();
}

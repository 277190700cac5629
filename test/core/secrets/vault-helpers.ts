/**
 * Test-side Vault: the shared OpenBao dev server ($KOTS_TEST_VAULT_ADDR, root token
 * $KOTS_TEST_VAULT_TOKEN), or a private one started on a free port for a test that
 * takes Vault away. Secrets go under a throw-away path per test.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { freePort } from '../../helpers/own-servers.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodeVault from 'node-vault';
import { waitFor } from '../../helpers/processes.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: start the test servers (scripts/servers/start.sh all) and source scripts/servers/env.sh`);
  return value;
}

export const sharedVault = {
  get address() {
    return required('KOTS_TEST_VAULT_ADDR');
  },
  get token() {
    return required('KOTS_TEST_VAULT_TOKEN');
  },
};

export function rootClient(address = sharedVault.address, token = sharedVault.token): nodeVault.client {
  return nodeVault({ apiVersion: 'v1', endpoint: address, token, pathPrefix: '/' });
}

/** Writes KV v2 secrets (mount `secret`): path -> data. */
export async function putSecrets(client: nodeVault.client, secrets: Record<string, Record<string, unknown>>): Promise<void> {
  for (const [path, data] of Object.entries(secrets)) await client.write(`secret/data/${path}`, { data });
}

export interface AppRole {
  mount: string;
  roleId: string;
  secretId: string;
  remove(): Promise<void>;
}

/** An AppRole on its own mount whose tokens may only read secret/data/<prefix>/*. */
export async function createAppRole(client: nodeVault.client, name: string, prefix: string): Promise<AppRole> {
  const mount = `approle-${name}`;
  await client.write(`sys/auth/${mount}`, { type: 'approle' });
  await client.write(`sys/policies/acl/${name}`, { policy: `path "secret/data/${prefix}/*" { capabilities = ["read"] }` });
  await client.write(`auth/${mount}/role/${name}`, { token_policies: [name], token_ttl: '10m', token_max_ttl: '30m' });
  const roleId = ((await client.read(`auth/${mount}/role/${name}/role-id`)) as { data: { role_id: string } }).data.role_id;
  const secretId = ((await client.write(`auth/${mount}/role/${name}/secret-id`, {})) as { data: { secret_id: string } }).data.secret_id;
  return {
    mount,
    roleId,
    secretId,
    async remove() {
      await client.delete(`sys/auth/${mount}`);
      await client.delete(`sys/policies/acl/${name}`);
    },
  };
}

export { freePort };

export interface PrivateVault {
  address: string;
  token: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The `bao` binary installed by scripts/servers/install.sh openbao (path from scripts/servers/lib.sh). */
function baoBinary(): string {
  const scripts = required('KOTS_SERVERS_SCRIPTS');
  return execFileSync('bash', ['-c', `. "${scripts}/lib.sh" && printf %s "$KOTS_BAO_BIN"`], { encoding: 'utf8' });
}

/** A private OpenBao dev server (in memory) on a free port, for a test that stops it. */
export async function startPrivateVault(): Promise<PrivateVault> {
  const port = await freePort();
  const token = 'kots-private-root';
  const home = mkdtempSync(join(tmpdir(), 'kots-bao-'));
  const child = spawn(baoBinary(), ['server', '-dev', `-dev-root-token-id=${token}`, `-dev-listen-address=127.0.0.1:${port}`, '-dev-no-store-token'], {
    env: { ...process.env, HOME: home },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const address = `http://127.0.0.1:${port}`;
  await waitFor('the private OpenBao dev server', async () => (await fetch(`${address}/v1/sys/health`)).ok, 30_000, 100);
  return {
    address,
    token,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

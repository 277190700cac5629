/**
 * `--ssh` against a real OpenSSH server (Debian openssh-server, installed by
 * scripts/provisioning/install-sshd.sh) that the test starts itself on a free
 * loopback port, with its own host key and an authorized key it generated. The
 * device's install.sh installs into a throw-away root (--remote-root); there is
 * no systemd there, so it enables by symlink and reports "not started".
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { elfMachine } from '../../provisioning/binaries.js';
import { sha256File } from '../../provisioning/payload.js';
import { provisionFleet, rotateDevice } from '../../provisioning/provision.js';
import { waitFor } from '../helpers/processes.js';
import { freePort } from '../helpers/own-servers.js';
import { testEnvironment } from '../helpers/servers.js';
import { agentBinaries, fleetContext, readEnvFile, tempDir, writeManifest } from './helpers.js';

const SSHD = '/usr/sbin/sshd';
let sshd: ChildProcess | undefined;
afterAll(() => {
  if (sshd && sshd.exitCode === null) sshd.kill('SIGTERM');
});

async function startSshd(dir: string): Promise<{ port: number; sshOptions: string[]; identity: string }> {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kots-test-host', '-f', join(dir, 'host_ed25519')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kots-test-user', '-f', join(dir, 'user_ed25519')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'user_ed25519.pub')), { mode: 0o600 });
  const port = await freePort();
  writeFileSync(
    join(dir, 'sshd_config'),
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${join(dir, 'host_ed25519')}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'UsePAM no',
      'StrictModes no',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      '',
    ].join('\n'),
  );
  // sshd insists on its privilege separation folder.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  sshd = child;
  await waitFor(
    `sshd on port ${port} (${log})`,
    () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.end();
          resolve(true);
        });
        socket.on('error', () => resolve(false));
      }),
    15_000,
    100,
  );
  const hostKey = readFileSync(join(dir, 'host_ed25519.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKey}\n`);
  return {
    port,
    identity: join(dir, 'user_ed25519'),
    sshOptions: [`UserKnownHostsFile=${join(dir, 'known_hosts')}`, 'StrictHostKeyChecking=yes', 'IdentitiesOnly=yes'],
  };
}

const kotsAgentTemps = () => readdirSync('/tmp').filter((n) => n.startsWith('kots-agent.'));

describe('kots fleet provision --ssh', () => {
  it('installs over a real OpenSSH server into a throw-away root and reports per device', { timeout: 120_000 }, async () => {
    const binaries = await agentBinaries(['linux-x64']);
    const dir = tempDir('ssh');
    const server = await startSshd(dir);
    const stateDir = join(dir, 'state');
    const remoteRoot = join(dir, 'device-root');
    mkdirSync(remoteRoot);
    const user = userInfo().username;
    const ctx = fleetContext(testEnvironment('unused-bucket'), { 'fleet.stateDir': stateDir, 'fleet.agentBinaryDir': binaries });
    const manifest = writeManifest(dir, {
      version: 1,
      name: 'ssh-fleet',
      broker: { url: 'mqtt://127.0.0.1:1883' },
      defaults: { target: 'linux-x64' },
      cities: [
        { name: 'Kochi', country: 'JP', lat: 33.56, lon: 133.53, devices: [{ id: 'kochi-vm', ssh: `${user}@127.0.0.1` }] },
        // A login the server refuses (no such user): its failure is reported, the other device still gets installed.
        { name: 'Cairo', country: 'EG', lat: 30.04, lon: 31.24, devices: [{ id: 'cairo-vm', ssh: 'no-such-user@127.0.0.1' }] },
      ],
    });
    const tempsBefore = new Set(kotsAgentTemps());

    const report = await provisionFleet(ctx, manifest, {
      delivery: { kind: 'ssh', options: { port: server.port, identity: server.identity, options: server.sshOptions, remoteRoot, timeoutSeconds: 60 } },
    });
    const kochi = report.devices.find((d) => d.id === 'kochi-vm')!;
    const cairo = report.devices.find((d) => d.id === 'cairo-vm')!;
    expect(kochi.error).toBeUndefined();
    expect(kochi.delivered).toBe(`ssh ${user}@127.0.0.1: installed and enabled; not started (no running systemd there) (binary copied)`);
    expect(cairo.error).toMatch(/ssh failed.*Permission denied/);

    const binary = join(remoteRoot, 'usr/local/bin/kots-agent');
    expect(sha256File(binary)).toBe(sha256File(join(binaries, 'kots-agent-linux-x64')));
    expect(elfMachine(binary)).toEqual({ machine: 'x86-64', bits: 64 });
    expect(statSync(binary).mode & 0o777).toBe(0o755);
    expect(statSync(join(remoteRoot, 'etc/kots/agent.env')).mode & 0o777).toBe(0o600);
    expect(readEnvFile(join(remoteRoot, 'etc/kots/agent.env')).KOTS_MQTT_PASSWORD).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(readFileSync(join(remoteRoot, 'etc/kots/agent.yaml'), 'utf8')).toContain('deviceId: kochi-vm');
    const unit = readFileSync(join(remoteRoot, 'etc/systemd/system/kots-agent.service'), 'utf8');
    for (const line of [
      'Restart=always',
      'User=kots',
      'StateDirectory=kots-agent',
      'EnvironmentFile=/etc/kots/agent.env',
      'ExecStart=/usr/local/bin/kots-agent --config /etc/kots/agent.yaml',
      'WantedBy=multi-user.target',
    ]) {
      expect(unit).toContain(line);
    }
    const wants = join(remoteRoot, 'etc/systemd/system/multi-user.target.wants');
    expect(lstatSync(join(wants, 'kots-agent.service')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(wants, 'kots-agent.service'))).toBe('/etc/systemd/system/kots-agent.service');
    expect(readlinkSync(join(wants, 'kots-agent-setup.service'))).toBe('/etc/systemd/system/kots-agent-setup.service');
    // The copy holding the credential is gone from the device's /tmp.
    expect(kotsAgentTemps().filter((n) => !tempsBefore.has(n))).toEqual([]);
    // A rotation over SSH brings the new credential; the binary, already installed (sha256 checked there), is not copied again.
    const oldSecret = readEnvFile(join(remoteRoot, 'etc/kots/agent.env')).KOTS_MQTT_PASSWORD;
    const rotated = await rotateDevice(ctx, 'kochi-vm', {
      kind: 'ssh',
      options: { port: server.port, identity: server.identity, options: server.sshOptions, remoteRoot, timeoutSeconds: 60 },
    });
    expect(rotated.devices[0]?.delivered).toBe(
      `ssh ${user}@127.0.0.1: installed and enabled; not started (no running systemd there) (binary already installed)`,
    );
    expect(readEnvFile(join(remoteRoot, 'etc/kots/agent.env')).KOTS_MQTT_PASSWORD).not.toBe(oldSecret);
    expect(sha256File(binary)).toBe(sha256File(join(binaries, 'kots-agent-linux-x64')));
    expect(kotsAgentTemps().filter((n) => !tempsBefore.has(n))).toEqual([]);
    // The real /etc was not touched.
    expect(existsSync('/etc/kots/agent.env')).toBe(false);
  });
});

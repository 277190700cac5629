/**
 * `kots fleet provision|rotate|revoke|status|config`: fleet provisioning from
 * the central site (provisioning/). Nothing secret is printed: reports name
 * devices, actions and where things went, never a credential.
 */
import type { Command } from 'commander';
import { KotsError } from '../../core/errors.js';
import type { Delivery, ProvisionReport } from '../../provisioning/provision.js';
import type { DeviceStatus } from '../../provisioning/operate.js';
import type { SshOptions } from '../../provisioning/deliver-ssh.js';
import { requireRootForSd } from '../../provisioning/require-root.js';
import { loadContextAsync } from '../context.js';
import { examples } from '../help.js';

const provisioning = () => import('../../provisioning/provision.js');
const operations = () => import('../../provisioning/operate.js');

interface DeliveryCliOptions {
  out?: string;
  ssh?: string | boolean;
  sd?: string;
  device?: string[];
  sshPort?: number;
  sshIdentity?: string;
  sshOption?: string[];
  remoteRoot?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function port(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new KotsError('USAGE', `--ssh-port expects a port number, got "${text}"`);
  return value;
}

function withDeliveryOptions(command: Command): Command {
  return command
    .option('--out <dir>', 'write one <dir>/kots-agent-<id>.tar.gz per device (mode 600: it holds the credential); the default is <fleet.stateDir>/bundles')
    .option(
      '--ssh [user@host]',
      "install over SSH with the user's key: onto user@host (one --device), or each device onto the ssh: address fleet.yaml gives it",
    )
    .option('--sd <path>', 'write one --device onto a mounted Raspberry Pi OS card: <path>/bootfs (or boot) and <path>/rootfs')
    .option('--device <id>', 'deliver only this device (repeatable); every device is still registered', collect)
    .option('--ssh-port <port>', 'SSH port', port)
    .option('--ssh-identity <file>', 'SSH private key (ssh -i)')
    .option('--ssh-option <Key=Value>', 'extra ssh/scp -o option, e.g. UserKnownHostsFile=~/.ssh/fleet_hosts (repeatable)', collect)
    .option('--remote-root <dir>', 'over SSH, install under this root instead of / (image staging, tests)')
    .option('--json', 'print the report as JSON');
}

function deliveryOf(opts: DeliveryCliOptions, fallbackOut: string | undefined): Delivery | undefined {
  const chosen = [opts.out !== undefined, opts.ssh !== undefined, opts.sd !== undefined].filter(Boolean).length;
  if (chosen > 1) throw new KotsError('USAGE', 'choose one delivery: --out, --ssh or --sd');
  if (opts.sd !== undefined) {
    requireRootForSd(opts.sd);
    return { kind: 'sd', path: opts.sd };
  }
  if (opts.ssh !== undefined) {
    const options: SshOptions = {
      ...(opts.sshPort ? { port: opts.sshPort } : {}),
      ...(opts.sshIdentity ? { identity: opts.sshIdentity } : {}),
      ...(opts.sshOption ? { options: opts.sshOption } : {}),
      ...(opts.remoteRoot ? { remoteRoot: opts.remoteRoot } : {}),
    };
    return { kind: 'ssh', ...(typeof opts.ssh === 'string' ? { address: opts.ssh } : {}), options };
  }
  if (opts.out !== undefined) return { kind: 'out', dir: opts.out };
  return fallbackOut ? { kind: 'out', dir: fallbackOut } : undefined;
}

function printReport(report: ProvisionReport, json: boolean | undefined): boolean {
  const failed = report.devices.some((d) => d.error);
  if (json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return !failed;
  }
  const lines = report.devices.map(
    (d) =>
      `${d.id.padEnd(24)} ${d.city.padEnd(16)} ${d.target.padEnd(13)} ${d.credential.padEnd(13)} ${d.error ? `FAILED: ${d.error}` : (d.delivered ?? 'registered')}`,
  );
  process.stdout.write(`${'device'.padEnd(24)} ${'city'.padEnd(16)} ${'target'.padEnd(13)} ${'credential'.padEnd(13)} delivery\n${lines.join('\n')}\n`);
  if (report.notInManifest.length)
    process.stdout.write(
      `\nin the fleet but no longer in the manifest (still registered; \`kots fleet revoke <id>\` cuts them off): ${report.notInManifest.join(', ')}\n`,
    );
  process.stdout.write(`\nregistry: ${report.registry} (hashes only; run the bridge with ${report.bridgeSetting})\nsecrets: ${report.secrets}\n`);
  return !failed;
}

function formatStatus(rows: DeviceStatus[]): string {
  const header = ['device', 'city', 'target', 'state', 'last reading', 'agent', 'spool', 'last error'];
  const table = rows.map((r) => [
    r.id,
    r.city,
    r.target,
    r.state,
    r.lastReading ?? '-',
    r.agentVersion ?? '-',
    r.spoolDepth === undefined ? '-' : String(r.spoolDepth),
    r.lastError ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]?.length ?? 0)));
  return [header, ...table]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function registerFleetCommand(program: Command): void {
  const fleet = program
    .command('fleet')
    .description(
      'provision and operate the fleet of agents: identities, credentials, bundles, delivery (SSH, SD card), rotate, revoke, status, remote settings',
    );

  withDeliveryOptions(
    fleet
      .command('provision <manifest>')
      .description(
        'register every device of fleet.yaml (new ones get an identity and a random credential; the registry gets only its hash) and deliver their files; safe to re-run',
      )
      .option('--rotate <id>', 'give this device a new credential (repeatable; also re-issues a revoked device)', collect)
      .addHelpText(
        'after',
        examples(
          'kots fleet provision fleet.yaml --out bundles/',
          'kots fleet provision fleet.yaml --ssh',
          'kots fleet provision fleet.yaml --device pi-lisbon-1 --sd /media/$USER',
        ),
      ),
  ).action(async (manifest: string, opts: DeliveryCliOptions & { rotate?: string[] }, command: Command) => {
    const { defaultBundleDir, provisionFleet } = await provisioning();
    if (opts.sd !== undefined) requireRootForSd(opts.sd); // before anything is read or locked
    const ctx = await loadContextAsync(command, {}, 'kots-fleet');
    const delivery = deliveryOf(opts, defaultBundleDir(ctx.config));
    const report = await provisionFleet(ctx, manifest, {
      ...(delivery ? { delivery } : {}),
      ...(opts.rotate ? { rotate: opts.rotate } : {}),
      ...(opts.device ? { only: opts.device } : {}),
    });
    if (!printReport(report, opts.json)) process.exitCode = 1;
  });

  withDeliveryOptions(
    fleet
      .command('rotate <device>')
      .description('give the device a new credential: the old one stops working at once; deliver the new one with --out/--ssh/--sd (or a later provision)')
      .addHelpText('after', examples('kots fleet rotate pi-lisbon-1 --ssh pi@10.0.0.21', 'kots fleet rotate pi-lisbon-1 --out bundles/')),
  ).action(async (id: string, opts: DeliveryCliOptions, command: Command) => {
    if (opts.sd !== undefined) requireRootForSd(opts.sd); // before anything is read or locked
    const { rotateDevice } = await provisioning();
    const ctx = await loadContextAsync(command, {}, 'kots-fleet');
    const delivery = deliveryOf(opts, undefined);
    const report = await rotateDevice(ctx, id, delivery);
    if (!printReport(report, opts.json)) process.exitCode = 1;
    if (!delivery && !opts.json)
      process.stdout.write(
        `\n${id}: new credential issued and kept in the secret store; the device is cut off until it gets it: \`kots fleet provision fleet.yaml --device ${id} --out DIR\` (or --ssh / --sd)\n`,
      );
  });

  fleet
    .command('revoke <device>')
    .description('revoke the device in the registry: the bridge closes its connection at once and refuses it from then on; its secret is deleted')
    .addHelpText('after', examples('kots fleet revoke pi-lisbon-1'))
    .action(async (id: string, _opts: unknown, command: Command) => {
      const { revokeDevice } = await provisioning();
      const ctx = await loadContextAsync(command, {}, 'kots-fleet');
      const result = await revokeDevice(ctx, id);
      process.stdout.write(
        `${id}: revoked in ${result.registry}; the bridge cuts it off on its next registry reload (bridge.registryReloadSeconds). Re-issue it with \`kots fleet rotate ${id}\`.\n`,
      );
    });

  fleet
    .command('status')
    .description('every device: online/offline (retained status), last reading, agent version and spool depth (health messages seen while listening)')
    .option('--wait <seconds>', 'listen this long for health messages and readings (default fleet.statusWaitSeconds)', Number)
    .option('--json', 'print JSON')
    .addHelpText('after', examples('kots fleet status', 'kots fleet status --wait 30 --json'))
    .action(async (opts: { wait?: number; json?: boolean }, command: Command) => {
      const { fleetStatus } = await operations();
      const ctx = await loadContextAsync(command, {}, 'kots-fleet');
      if (opts.wait !== undefined && !(opts.wait > 0)) throw new KotsError('USAGE', '--wait expects a number of seconds > 0');
      const rows = await fleetStatus(ctx, opts.wait);
      process.stdout.write(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${formatStatus(rows)}\n`);
    });

  fleet
    .command('config <device> [settings...]')
    .description("publish the device's retained remote settings (key=value; key= removes one; --clear removes all), applied by the agent without a restart")
    .option('--clear', 'clear every remote setting first (the agent goes back to its config file)')
    .addHelpText('after', examples('kots fleet config pi-lisbon-1 intervalMinSeconds=60 intervalMaxSeconds=120', 'kots fleet config pi-lisbon-1 --clear'))
    .action(async (id: string, settings: string[], opts: { clear?: boolean }, command: Command) => {
      const { setRemoteSettings } = await operations();
      if (!settings.length && !opts.clear)
        throw new KotsError(
          'USAGE',
          'give settings as key=value (intervalMinSeconds, intervalMaxSeconds, healthIntervalSeconds, openweatherCallsPerMinute), or --clear',
        );
      const ctx = await loadContextAsync(command, {}, 'kots-fleet');
      const merged = await setRemoteSettings(ctx, id, settings, opts.clear ? { clear: true } : {});
      process.stdout.write(
        `${id}: remote settings ${Object.keys(merged).length ? JSON.stringify(merged) : 'cleared (config file values)'} published (retained)\n`,
      );
    });
}

/**
 * `kots registry add|list|disable|enable|rekey`: the people and dashboards who may log in to
 * the bridge and the dashboard, the way mosquitto_passwd manages a password file, in the
 * registry file or in Vault. Only hashes are stored; a new password is printed once.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import { KotsError } from '../../core/errors.js';
import { loadContextAsync } from '../context.js';
import { examples } from '../help.js';

interface StoreOptions {
  file?: string;
}

async function store(command: Command, opts: StoreOptions) {
  const { config } = await loadContextAsync(command, {}, 'kots-registry');
  const { openRegistryStore } = await import('../registry/store.js');
  return openRegistryStore(config, opts.file);
}

/** A password from stdin (piped), else a fresh random one that is printed once. */
async function passwordFor(opts: { passwordStdin?: boolean }): Promise<{ password: string; generated: boolean }> {
  const { generateCredential } = await import('../../bridge/registry/index.js');
  if (!opts.passwordStdin) return { password: generateCredential(), generated: true };
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (password.length < 12) throw new KotsError('USAGE', '--password-stdin: the password must be at least 12 characters long');
  return { password, generated: false };
}

export function registerRegistryCommand(program: Command): void {
  const registry = program
    .command('registry')
    .description(
      'manage who may log in to the bridge and the dashboard (operators, dashboard users; devices are listed and disabled too), in the registry file or Vault; hashes only',
    );
  const fileOption = () =>
    new Option('--file <path>', 'registry file (default: bridge.registryFile; with bridge.registryVaultPath set, the registry in Vault)');

  registry
    .command('add <name>')
    .description('add a user; prints a new random password once (or reads one with --password-stdin)')
    .addOption(
      new Option(
        '--role <role>',
        'operator: reads every device topic, may publish config, logs in to the dashboard; dashboard: reads weather, status and health',
      )
        .choices(['operator', 'dashboard'])
        .default('operator'),
    )
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .addOption(fileOption())
    .addHelpText(
      'after',
      examples(
        'kots registry add alice --role operator --file registry.yaml',
        'kots registry add grafana --role dashboard',
        'printf %s "$PASSWORD" | kots registry add bob --password-stdin',
      ),
    )
    .action(async (name: string, opts: StoreOptions & { role: 'operator' | 'dashboard'; passwordStdin?: boolean }, command: Command) => {
      const target = await store(command, opts);
      const { hashCredential, upsertUser } = await import('../../bridge/registry/index.js');
      const data = await target.read();
      if ((data.users ?? []).some((u) => u.name === name))
        throw new KotsError('USAGE', `${name} is already in ${target.description}: \`kots registry rekey ${name}\` gives a new password`);
      const { password, generated } = await passwordFor(opts);
      await target.write(upsertUser(data, { name, role: opts.role, hash: await hashCredential(password), revoked: false }));
      process.stdout.write(`${name} (${opts.role}) added to ${target.description}${generated ? `; password (shown once): ${password}` : ''}\n`);
    });

  registry
    .command('list')
    .description('users and devices with their role or city and whether they are disabled (never a hash)')
    .option('--json', 'print JSON')
    .addOption(fileOption())
    .addHelpText('after', examples('kots registry list', 'kots registry list --file registry.yaml --json'))
    .action(async (opts: StoreOptions & { json?: boolean }, command: Command) => {
      const target = await store(command, opts);
      const data = await target.read();
      const rows = [
        ...(data.users ?? []).map((u) => ({ kind: 'user', name: u.name, role: u.role, status: u.revoked ? 'disabled' : 'active' })),
        ...(data.devices ?? []).map((d) => ({ kind: 'device', name: d.id, role: `city ${d.city}`, status: d.revoked ? 'disabled' : 'active' })),
      ];
      if (opts.json) return void process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      if (rows.length === 0) return void process.stdout.write(`${target.description}: no users or devices yet (kots registry add NAME)\n`);
      const width = Math.max(4, ...rows.map((r) => r.name.length));
      const roleWidth = Math.max(4, ...rows.map((r) => r.role.length));
      process.stdout.write(`${'kind'.padEnd(6)}  ${'name'.padEnd(width)}  ${'role'.padEnd(roleWidth)}  status\n`);
      for (const r of rows) process.stdout.write(`${r.kind.padEnd(6)}  ${r.name.padEnd(width)}  ${r.role.padEnd(roleWidth)}  ${r.status}\n`);
    });

  for (const [verb, revoked, what] of [
    ['disable', true, 'refuse the user or device from now on: a running bridge closes its connection and a dashboard ends its sessions at once'],
    ['enable', false, 'let a disabled user or device in again'],
  ] as const) {
    registry
      .command(`${verb} <name>`)
      .description(what)
      .addOption(fileOption())
      .addHelpText('after', examples(`kots registry ${verb} alice`, `kots registry ${verb} pi-lisbon-1 --file registry.yaml`))
      .action(async (name: string, opts: StoreOptions, command: Command) => {
        const target = await store(command, opts);
        const data = await target.read();
        const user = (data.users ?? []).find((u) => u.name === name);
        const device = (data.devices ?? []).find((d) => d.id === name);
        if (!user && !device) throw new KotsError('USAGE', `no user or device ${name} in ${target.description} (kots registry list shows who is there)`);
        await target.write({
          ...data,
          users: (data.users ?? []).map((u) => (u.name === name ? { ...u, revoked } : u)),
          devices: (data.devices ?? []).map((d) => (d.id === name ? { ...d, revoked } : d)),
        });
        process.stdout.write(`${name}: ${revoked ? 'disabled' : 'enabled'} in ${target.description}\n`);
      });
  }

  registry
    .command('rekey <name>')
    .description('give a user a new password (printed once, or read with --password-stdin): the old one stops working at once; devices: kots fleet rotate')
    .option('--password-stdin', 'read the password from stdin instead of generating one')
    .addOption(fileOption())
    .addHelpText('after', examples('kots registry rekey alice', 'printf %s "$PASSWORD" | kots registry rekey alice --password-stdin'))
    .action(async (name: string, opts: StoreOptions & { passwordStdin?: boolean }, command: Command) => {
      const target = await store(command, opts);
      const { hashCredential, upsertUser } = await import('../../bridge/registry/index.js');
      const data = await target.read();
      const user = (data.users ?? []).find((u) => u.name === name);
      if (!user) {
        const device = (data.devices ?? []).some((d) => d.id === name);
        throw new KotsError(
          'USAGE',
          device
            ? `${name} is a device: \`kots fleet rotate ${name}\` gives it a new credential and delivers it`
            : `no user ${name} in ${target.description} (kots registry add ${name})`,
        );
      }
      const { password, generated } = await passwordFor(opts);
      await target.write(upsertUser(data, { ...user, hash: await hashCredential(password) }));
      process.stdout.write(`${name}: new password in ${target.description}${generated ? ` (shown once): ${password}` : ''}\n`);
    });
}

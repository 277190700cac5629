import type { Command } from 'commander';
import { globalConfigFile } from '../context.js';
import { examples } from '../help.js';

const schema = () => import('../../core/config/index.js');

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('check and document settings');
  config
    .command('check')
    .argument('[file]', 'YAML config file (default: --config or KOTS_CONFIG)')
    .description('validate a config file plus KOTS_* environment without starting anything')
    .addHelpText('after', examples('kots config check config/kots.example.yaml', 'KOTS_CONFIG=site.yaml kots config check'))
    .action(async (file: string | undefined, _opts, command: Command) => {
      const { loadConfig } = await schema();
      const path = file ?? globalConfigFile(command);
      loadConfig(path ? { file: path } : {});
      process.stdout.write(`${path ?? 'defaults and environment'}: ok\n`);
    });
  config
    .command('docs')
    .description('print the configuration reference (Markdown), generated from the schema')
    .addHelpText('after', examples('kots config docs > CONFIG.md'))
    .action(async () => {
      const { configReference } = await schema();
      process.stdout.write(`${configReference()}\n`);
    });
  config
    .command('example')
    .description('print a commented example file with every setting and its default')
    .addHelpText('after', examples('kots config example > kots.yaml'))
    .action(async () => {
      const { configExample } = await schema();
      process.stdout.write(configExample());
    });
  config
    .command('show')
    .description('print the effective configuration (secrets masked)')
    .addHelpText('after', examples('kots --config site.yaml config show', 'KAFKA_BROKERS=k1:9092 kots config show'))
    .action(async (_opts, command: Command) => {
      const { loadConfig, maskSecrets } = await schema();
      const path = globalConfigFile(command);
      const effective = loadConfig(path ? { file: path } : {});
      process.stdout.write(`${JSON.stringify(maskSecrets(effective), null, 2)}\n`);
    });
}

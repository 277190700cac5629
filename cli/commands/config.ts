import type { Command } from 'commander';
import { configExample, configReference, loadConfig } from '../../core/config/index.js';
import { globalConfigFile } from '../context.js';

export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('check and document settings');
  config
    .command('check')
    .argument('[file]', 'YAML config file (default: --config or KOTS_CONFIG)')
    .description('validate a config file plus KOTS_* environment without starting anything')
    .action((file: string | undefined, _opts, command: Command) => {
      const path = file ?? globalConfigFile(command);
      loadConfig(path ? { file: path } : {});
      process.stdout.write(`${path ?? 'defaults and environment'}: ok\n`);
    });
  config
    .command('docs')
    .description('print the configuration reference (Markdown), generated from the schema')
    .action(() => {
      process.stdout.write(`${configReference()}\n`);
    });
  config
    .command('example')
    .description('print a commented example file with every setting and its default')
    .action(() => {
      process.stdout.write(configExample());
    });
  config
    .command('show')
    .description('print the effective configuration (secrets masked)')
    .action((_opts, command: Command) => {
      const path = globalConfigFile(command);
      const effective = loadConfig(path ? { file: path } : {});
      const masked = JSON.stringify(effective, (key, value) => (/password|secret|apiKey|token/i.test(key) && value ? "***" : value), 2);
      process.stdout.write(`${masked}\n`);
    });
}

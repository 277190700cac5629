/** The one `kots` command, a sub-command per stage. */
import { Command, Option } from 'commander';
import { examples } from './help.js';
import { registerAgentCommands } from '../agent/cli.js';
import { registerAlertsCommand } from './commands/alerts.js';
import { registerBridgeCommand } from './commands/bridge.js';
import { registerConfigCommands } from './commands/config.js';
import { registerConsumerCommand } from './commands/consumer.js';
import { registerDashboardCommand } from './commands/dashboard.js';
import { registerFleetCommand } from './commands/fleet.js';
import { registerRegistryCommand } from './commands/registry.js';
import { registerTailCommand } from './commands/tail.js';
import { registerSqlCommand } from './commands/sql.js';
import { registerConsolidateCommand } from './commands/consolidate.js';
import { registerChallengeCommand } from './commands/challenge.js';
import { registerSimulateCommand } from './commands/simulate.js';
import { registerUpCommand } from './commands/up.js';
import { reportFatal } from './context.js';
import { KOTS_VERSION } from '../core/version.js';

const program = new Command('kots')
  .description('Kafka on the Shore: weather readings from edge agents, over MQTT and Kafka, into an S3 data lake with surreal events')
  .version(KOTS_VERSION)
  .option('-c, --config <file>', 'YAML config file (also KOTS_CONFIG); KOTS_* environment variables override it')
  .addOption(
    new Option('--log-format <format>', 'logs as JSON lines on stderr, or words; auto: words on a terminal, JSON otherwise (log.format)').choices([
      'auto',
      'json',
      'pretty',
    ]),
  )
  .option('--debug', 'print stack traces with errors')
  // Usage mistakes end like every other user error: one line on stderr, exit 2 (reportFatal).
  .exitOverride()
  .configureOutput({ outputError: (text, write) => write(`kots: ${text.replace(/^error: /, '').trimEnd()} (see --help)\n`) })
  .hook('preAction', (root) => {
    const format = (root.opts() as { logFormat?: string }).logFormat;
    // Through the environment, so that every way a command loads its config (agent/cli.ts too) sees it.
    if (format) process.env.KOTS_LOG_FORMAT = format;
  })
  .addHelpText(
    'after',
    examples(
      'kots up',
      'kots sql "select city, count(*) from readings group by all"',
      'kots tail readings',
      'kots registry add alice --role operator',
      'kots up --help',
    ),
  );

registerUpCommand(program);
registerAgentCommands(program);
registerSimulateCommand(program);
registerBridgeCommand(program);
registerConsumerCommand(program);
registerDashboardCommand(program);
registerAlertsCommand(program);
registerSqlCommand(program);
registerConsolidateCommand(program);
registerChallengeCommand(program);
registerConfigCommands(program);
registerFleetCommand(program);
registerRegistryCommand(program);
registerTailCommand(program);

/**
 * `kots sql -c SQL` as in the DuckDB CLI and psql: commander would give -c to the global
 * --config (program options are read after the sub-command too), so after `sql` it is spelled out.
 */
function sqlDashC(argv: string[]): string[] {
  const sub = argv.findIndex(
    (arg, i) => i >= 2 && !arg.startsWith('-') && argv[i - 1] !== '-c' && argv[i - 1] !== '--config' && argv[i - 1] !== '--log-format',
  );
  if (sub === -1 || argv[sub] !== 'sql') return argv;
  return argv.map((arg, i) => (i > sub && arg === '-c' ? '--command' : arg));
}

// A failure outside the command's own promise (a background task) ends the same way: one line, --debug for the trace.
process.on('unhandledRejection', reportFatal);
process.on('uncaughtException', reportFatal);
program.parseAsync(sqlDashC(process.argv)).catch(reportFatal);

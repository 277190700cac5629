/** The one `kots` command, a sub-command per stage. */
import { Command } from 'commander';
import { registerAgentCommands } from '../agent/cli.js';
import { registerAlertsCommand } from './commands/alerts.js';
import { registerBridgeCommand } from './commands/bridge.js';
import { registerConfigCommands } from './commands/config.js';
import { registerConsumerCommand } from './commands/consumer.js';
import { registerDashboardCommand } from './commands/dashboard.js';
import { registerFleetCommand } from './commands/fleet.js';
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
  .showHelpAfterError();

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

program.parseAsync(process.argv).catch(reportFatal);

import type { CliCommand } from './command';
import { demoCommand } from './demo';
import { doctorCommand } from './doctor';
import { analyzeCommand } from './analyze';
import { splitCommand } from './split';
import { cropsCommand } from './crops';
import { contextsCommand } from './contexts';
import { embedCommand } from './embed';
import { ingestCommand } from './ingest';
import { indexCommand } from './index-embeddings';
import { evaluateCommand } from './evaluate';
import { adaptCommand } from './adapt';
import { searchCommand } from './search';
import { runsCommand } from './runs';
import { datasetsCommand } from './datasets';
import { labelsCommand } from './labels';
import { serveCommand } from './serve';
import { mcpCommand } from './mcp';
import { workerCommand } from './worker';

/** Every command of the CLI, in the order `--help` lists them. */
export const commands: CliCommand[] = [
  demoCommand,
  doctorCommand,
  analyzeCommand,
  splitCommand,
  cropsCommand,
  contextsCommand,
  embedCommand,
  indexCommand,
  ingestCommand,
  workerCommand,
  evaluateCommand,
  adaptCommand,
  searchCommand,
  runsCommand,
  datasetsCommand,
  labelsCommand,
  serveCommand,
  mcpCommand,
];

import type { CliCommand } from './command';
import { doctorCommand } from './doctor';

/** Every command of the CLI, in the order `--help` lists them. */
export const commands: CliCommand[] = [
  doctorCommand,
];

import type { Command } from 'commander';

/** A CLI command: parses its arguments, calls the pipeline, prints the outcome. No logic of its own. */
export interface CliCommand {
  register(program: Command): void;
}

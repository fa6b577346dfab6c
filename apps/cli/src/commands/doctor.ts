import { findStrayServers, runDoctor, stopStrayServer } from '@defect-rag/runs';
import { createLogger, loadConfig } from '@defect-rag/runtime';
import type { CliCommand } from './command';

export const doctorCommand: CliCommand = {
  register(program) {
    program
      .command('doctor')
      .description(
        'check the configuration, PostgreSQL, Qdrant and the model folder (starts the embedded servers when no URL is set)',
      )
      .option('--json', 'print the report as JSON')
      .option('--stop-strays', 'stop embedded servers of this data folder that no process uses any more')
      .action(async (options: { json?: boolean; stopStrays?: boolean }) => {
        const config = loadConfig();
        // Before the checks, which would start using them: a server no live process uses was left
        // by a command killed outright (it stops by itself after DEFECT_RAG_EMBEDDED_IDLE_STOP_MS).
        const strays = [];
        for (const stray of await findStrayServers(config.dataDir)) {
          if (options.stopStrays) await stopStrayServer(stray);
          strays.push({
            name: stray.name,
            pid: stray.state.pid,
            ports: stray.state.ports,
            stopped: !!options.stopStrays,
          });
        }
        const report = await runDoctor(config, createLogger(config.logLevel, config.logFormat));
        if (options.json) {
          process.stdout.write(`${JSON.stringify({ ...report, strays }, null, 2)}\n`);
        } else {
          for (const stray of strays) {
            const ports = Object.entries(stray.ports)
              .map(([name, port]) => `${name} ${port}`)
              .join(', ');
            process.stdout.write(
              `stray ${stray.name.padEnd(9)} pid ${stray.pid} (${ports}), used by no process: ${stray.stopped ? 'stopped' : 'stop it with doctor --stop-strays'}\n`,
            );
          }
          for (const check of report.checks) {
            process.stdout.write(`${check.ok ? 'ok  ' : 'FAIL'} ${check.name.padEnd(9)} ${check.detail}\n`);
          }
        }
        process.exitCode = report.ok ? 0 : 3;
      });
  },
};

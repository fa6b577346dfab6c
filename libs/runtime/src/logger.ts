import pino from 'pino';

export type Logger = pino.Logger;
export type LogFormat = 'pretty' | 'json';

/**
 * Logs go to stderr so that stdout stays clean for command output (tables, --json). `pretty` is
 * one short line per event for people at a terminal; `json` is pino's line format for machines.
 */
export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', format: LogFormat = 'pretty'): Logger {
  const destination = pino.destination({ dest: 2, sync: true });
  return pino({ name: 'defect-rag', level }, format === 'json' ? destination : prettyLines(destination));
}

const LEVEL_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};
const OMITTED = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg']);

function prettyLines(out: { write(line: string): unknown }): pino.DestinationStream {
  return {
    write(line: string) {
      const { level, time, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
      const fields = Object.entries(rest)
        .filter(([key]) => !OMITTED.has(key))
        .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
      const clock = new Date(Number(time)).toISOString().slice(11, 19);
      out.write(
        `${clock} ${(LEVEL_NAMES[Number(level)] ?? String(level)).padEnd(5)} ${String(msg ?? '')}${fields.length ? `  ${fields.join(' ')}` : ''}\n`,
      );
    },
  };
}

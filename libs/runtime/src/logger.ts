import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string = process.env.LOG_LEVEL ?? 'info', name = 'defect-rag'): Logger {
  // Logs go to stderr so that stdout stays clean for command output (tables, --json).
  return pino({ name, level }, pino.destination({ dest: 2, sync: true }));
}

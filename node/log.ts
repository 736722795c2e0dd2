// One pino logger per node; every event is one JSON line. Library code logs only through this.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export function createLogger(opts: { level?: LevelWithSilent; name?: string; destination?: number | string } = {}): Logger {
  const level = opts.level ?? (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  const dest = pino.destination({ dest: opts.destination ?? 1, sync: true });
  return pino({ level, name: opts.name ?? 'node', base: { pid: process.pid } }, dest);
}

/** A logger that drops everything (tests, benches). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

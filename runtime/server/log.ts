// Structured logs: one JSON object per line on stdout, for kubectl logs and log shippers.

export type LogLevel = 'info' | 'warn' | 'error';

export type Logger = (level: LogLevel, message: string, fields?: Readonly<Record<string, unknown>>) => void;

/** A logger writing `{"time","level","msg",...fields}` lines to a stream. */
export function jsonLogger(stream: NodeJS.WritableStream = process.stdout, base: Readonly<Record<string, unknown>> = {}): Logger {
  return (level, message, fields = {}) => {
    stream.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg: message, ...base, ...fields })}\n`);
  };
}

// Progress lines for people watching `kubectl logs -c fetch-model`: bytes, total and
// rate at most every `intervalMs`, so a large model visibly moves and a small one
// logs only its start and end.

/** A structured log event; the CLI prints one JSON line per event. */
export type LogEvent = Record<string, unknown>;

/** Counts bytes of one fetch and logs progress at an interval. */
export interface Progress {
  /** Adds (or, after a failed attempt, removes) transferred bytes. */
  add(bytes: number, file: string): void;
  readonly bytes: number;
  /** Seconds since the transfer began. */
  elapsedSeconds(): number;
}

export interface ProgressOptions {
  readonly uri: string;
  readonly total: number | null;
  readonly intervalMs: number;
  readonly log: (event: LogEvent) => void;
  readonly now?: () => number;
}

const MIB = 1024 * 1024;

/** Starts counting now. */
export function startProgress(options: ProgressOptions): Progress {
  const now = options.now ?? (() => performance.now());
  const started = now();
  let lastAt = started;
  let lastBytes = 0;
  let bytes = 0;
  return {
    add(delta, file) {
      bytes += delta;
      const at = now();
      if (at - lastAt < options.intervalMs) return;
      const rate = (bytes - lastBytes) / MIB / ((at - lastAt) / 1000);
      options.log({
        level: 'info',
        msg: 'fetch-model progress',
        uri: options.uri,
        file,
        bytes,
        total: options.total,
        percent: options.total ? Math.round((bytes / options.total) * 1000) / 10 : null,
        rate_mib_s: Math.round(rate * 10) / 10,
      });
      lastAt = at;
      lastBytes = bytes;
    },
    get bytes() {
      return bytes;
    },
    elapsedSeconds: () => (now() - started) / 1000,
  };
}

// The router's numeric settings: each a `kubeinfer route` flag and a KUBEINFER_ROUTER_*
// variable with a documented default, shared by the command line and startRouter's options.
import { flagProperty } from '../server/config.ts';

/** Limits and timeouts of one router. */
export interface RouterLimits {
  /** Longest silence from a backend, once it has the whole request, before 504. */
  readonly backendTimeoutMs: number;
  /** Longest a proxied exchange may take in all, however steadily bytes flow. */
  readonly requestDeadlineMs: number;
  /** Mirror copies in flight before further copies are skipped. */
  readonly mirrorMaxInFlight: number;
  /** Request-body bytes all mirror copies in flight may hold together. */
  readonly mirrorMaxBufferedBytes: number;
  /** Deadline of one mirror exchange: a hung mirror is cut and counted after this. */
  readonly mirrorTimeoutMs: number;
  readonly headersTimeoutMs: number;
  /** Longest a whole request (headers and body) may take to arrive. */
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  /** On SIGTERM, serve (not ready) this long so load balancers stop sending first. */
  readonly shutdownDelayMs: number;
}

interface NumberFlag {
  readonly key: keyof RouterLimits;
  readonly flag: string;
  readonly env: string;
  readonly description: string;
  readonly default: number;
  readonly min: number;
}

/** Every numeric flag of `kubeinfer route`, in the order `--help` lists them. */
export const ROUTER_NUMBER_FLAGS: readonly NumberFlag[] = [
  {
    key: 'backendTimeoutMs',
    flag: 'backend-timeout-ms',
    env: 'KUBEINFER_ROUTER_BACKEND_TIMEOUT_MS',
    description: 'longest silence from a version, once it has the whole request, before 504',
    default: 60_000,
    min: 1,
  },
  {
    key: 'requestDeadlineMs',
    flag: 'request-deadline-ms',
    env: 'KUBEINFER_ROUTER_REQUEST_DEADLINE_MS',
    description: 'longest a proxied request may take in all before 504 (or, mid-answer, a cut connection)',
    default: 120_000,
    min: 1,
  },
  {
    key: 'mirrorMaxInFlight',
    flag: 'mirror-max-in-flight',
    env: 'KUBEINFER_ROUTER_MIRROR_MAX_IN_FLIGHT',
    description: 'mirror copies in flight before more are skipped',
    default: 64,
    min: 0,
  },
  {
    key: 'mirrorMaxBufferedBytes',
    flag: 'mirror-max-buffered-bytes',
    env: 'KUBEINFER_ROUTER_MIRROR_MAX_BUFFERED_BYTES',
    description: 'request bytes all mirror copies may hold together before more are skipped',
    default: 64 * 1024 * 1024,
    min: 0,
  },
  {
    key: 'mirrorTimeoutMs',
    flag: 'mirror-timeout-ms',
    env: 'KUBEINFER_ROUTER_MIRROR_TIMEOUT_MS',
    description: 'deadline of one mirror copy; a hung mirror is cut and counted',
    default: 5_000,
    min: 1,
  },
  {
    key: 'headersTimeoutMs',
    flag: 'headers-timeout-ms',
    env: 'KUBEINFER_ROUTER_HEADERS_TIMEOUT_MS',
    description: "longest wait for a request's headers",
    default: 10_000,
    min: 1,
  },
  {
    key: 'requestTimeoutMs',
    flag: 'request-timeout-ms',
    env: 'KUBEINFER_ROUTER_REQUEST_TIMEOUT_MS',
    description: 'longest wait for a whole request (headers and body) to arrive',
    default: 60_000,
    min: 1,
  },
  {
    key: 'keepAliveTimeoutMs',
    flag: 'keep-alive-timeout-ms',
    env: 'KUBEINFER_ROUTER_KEEP_ALIVE_TIMEOUT_MS',
    description: 'idle client connections are closed after this long',
    default: 65_000,
    min: 1,
  },
  {
    key: 'shutdownDelayMs',
    flag: 'shutdown-delay-ms',
    env: 'KUBEINFER_ROUTER_SHUTDOWN_DELAY_MS',
    description: 'on SIGTERM, keep serving (not ready) this long so load balancers stop sending first',
    default: 5_000,
    min: 0,
  },
];

/** Every limit at its default. */
export const ROUTER_DEFAULTS: RouterLimits = Object.fromEntries(
  ROUTER_NUMBER_FLAGS.map((entry) => [entry.key, entry.default]),
) as unknown as RouterLimits;

/** Parses the numeric flags (strings from commander); a message names the first bad one. */
export function parseRouterLimits(flags: Readonly<Record<string, unknown>>): RouterLimits | string {
  const limits: Record<string, number> = {};
  for (const entry of ROUTER_NUMBER_FLAGS) {
    const raw = flags[flagProperty(entry.flag)];
    const value = raw === undefined ? entry.default : Number(raw);
    if (!Number.isSafeInteger(value) || value < entry.min) {
      return `--${entry.flag} must be ${entry.min === 0 ? 'a non-negative' : 'a positive'} integer, got "${String(raw)}"`;
    }
    limits[entry.key] = value;
  }
  return limits as unknown as RouterLimits;
}

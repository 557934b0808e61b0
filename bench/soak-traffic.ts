// The soak's traffic: a weighted mix of request kinds, each with the status it must get,
// sent by keep-alive clients through the router, plus one client whose body stalls until
// the server's request timeout. Outcomes are tallied per kind; the version that answered
// is tallied per weight setting.
import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';

const MiB = 1024 * 1024;
/** A stalled body needs the request timeout (60 s by default) plus the server's 30 s check interval. */
const STALLED_BUDGET_MS = 95_000;
const VERSION_HEADER = 'x-kubeinfer-version';
const KEEP_ALIVE_MS = 30_000;

export const WEIGHTS = [
  [50, 50],
  [90, 10],
  [10, 90],
] as const;

export interface Tally {
  readonly outcomes: Map<string, Map<string, number>>;
  readonly expected: Map<string, string>;
  /** Per index into WEIGHTS: version -> answers. */
  readonly versions: Map<string, number>[];
  phase: number;
  changes: number;
}

export function emptyTally(): Tally {
  return { outcomes: new Map(), expected: new Map(), versions: WEIGHTS.map(() => new Map()), phase: 0, changes: 0 };
}

interface Kind {
  readonly name: string;
  readonly share: number;
  readonly expected: number;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string | number>>;
  /** Milliseconds to spread the body over (a slow client). */
  readonly trickleMs?: number;
  /** Sends half the body and never the rest. */
  readonly stalls?: boolean;
}

interface Answer {
  readonly outcome: string;
  readonly version?: string | undefined;
}

const json = (value: string) => ({ body: Buffer.from(value), headers: { 'content-type': 'application/json' } });
const VALID = '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[1,2,3,4]}]}';
const LARGE_ROWS = 32_768;

function kinds(): Kind[] {
  const header = Buffer.from(
    '{"inputs":[{"name":"input","datatype":"FP32","shape":[256,4],"parameters":{"binary_data_size":4096}}],"parameters":{"binary_data_output":true}}',
  );
  const large = `{"inputs":[{"name":"input","datatype":"FP32","shape":[${LARGE_ROWS},4],"data":[${'1.5,2.25,3,4,'.repeat(LARGE_ROWS).slice(0, -1)}]}]}`;
  return [
    { name: 'valid JSON', share: 58, expected: 200, ...json(VALID) },
    {
      name: 'valid binary (4 KiB)',
      share: 15,
      expected: 200,
      body: Buffer.concat([header, Buffer.alloc(4096, 1)]),
      headers: { 'inference-header-content-length': header.length },
    },
    { name: `valid JSON, large (${(large.length / MiB).toFixed(1)} MiB in and out)`, share: 2, expected: 200, ...json(large) },
    { name: 'malformed JSON', share: 6, expected: 400, ...json('{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":[1,2,') },
    {
      name: 'nested 10,000 deep',
      share: 4,
      expected: 400,
      ...json(`{"inputs":[{"name":"input","datatype":"FP32","shape":[1,4],"data":${'['.repeat(10_000)}1${']'.repeat(10_000)}}]}`),
    },
    {
      name: 'oversized JSON (17 MiB)',
      share: 2,
      expected: 413,
      body: Buffer.alloc(17 * MiB, 0x20),
      headers: { 'content-type': 'application/json' },
    },
    { name: 'slow body (2 s)', share: 13, expected: 200, trickleMs: 2000, ...json(VALID) },
  ];
}

const STALLED: Kind = { name: 'stalled body (never finished)', share: 0, expected: 408, stalls: true, ...json(VALID) };

function count(tally: Tally, kind: Kind, answer: Answer, phase: number): void {
  // 503 with Retry-After is the designed answer to overload, not a failure.
  const outcome = answer.outcome === String(kind.expected) || answer.outcome === '503 shed' ? answer.outcome : `FAILED ${answer.outcome}`;
  const row = tally.outcomes.get(kind.name) ?? new Map<string, number>();
  row.set(outcome, (row.get(outcome) ?? 0) + 1);
  tally.outcomes.set(kind.name, row);
  tally.expected.set(kind.name, String(kind.expected));
  if (answer.version !== undefined && answer.outcome === '200') {
    const versions = tally.versions[phase]!;
    versions.set(answer.version, (versions.get(answer.version) ?? 0) + 1);
  }
}

/** When each pooled connection was last handed back, and by which kind of request. */
const lastUsed = new WeakMap<Socket, { readonly at: number; readonly kind: string }>();

function idleNote(reused: boolean, socket: Socket | null): string {
  const last = socket === null ? undefined : lastUsed.get(socket);
  if (!reused || last === undefined) return ' (new connection)';
  return ` (reused connection, idle ${((performance.now() - last.at) / 1000).toFixed(1)} s, last used by ${last.kind})`;
}

function send(url: string, kind: Kind, agent: Agent): Promise<Answer> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/v2/models/soak/infer`,
      { method: 'POST', agent, headers: { ...kind.headers, 'content-length': kind.body.length } },
      (res) => {
        const shed = res.statusCode === 503 && res.headers['retry-after'] !== undefined;
        const version = res.headers[VERSION_HEADER];
        res.resume();
        res.once('end', () =>
          resolve({ outcome: shed ? '503 shed' : String(res.statusCode), version: typeof version === 'string' ? version : undefined }),
        );
        res.once('error', (error: NodeJS.ErrnoException) => resolve({ outcome: error.code ?? 'error' }));
      },
    );
    // A reset on a reused connection says how long it had been idle: a keep-alive race, or not.
    req.once('error', (error: NodeJS.ErrnoException) =>
      resolve({ outcome: `${error.code ?? 'error'} "${error.message}"${idleNote(req.reusedSocket, req.socket)}` }),
    );
    req.once('response', () => req.socket?.once('free', () => lastUsed.set(req.socket!, { at: performance.now(), kind: kind.name })));
    const half = Math.floor(kind.body.length / 2);
    if (kind.stalls) return void req.write(kind.body.subarray(0, half));
    if (kind.trickleMs === undefined) return void req.end(kind.body);
    req.write(kind.body.subarray(0, half));
    setTimeout(() => req.end(kind.body.subarray(half)), kind.trickleMs);
  });
}

function pick(all: readonly Kind[]): Kind {
  let roll = Math.random() * 100;
  for (const kind of all) {
    roll -= kind.share;
    if (roll < 0) return kind;
  }
  return all[0]!;
}

/** `clients` keep-alive clients sending the mix until `deadline`, each outcome counted. */
export async function traffic(url: string, clients: number, deadline: number, tally: Tally): Promise<void> {
  const all = kinds();
  // FIFO keeps every pooled connection in use: under LIFO (the default) spare connections idle
  // until a keep-alive timeout, where Node's agent can hand one out as it is being closed
  // ("socket hang up"). The timeout makes it honour the router's `Keep-Alive: timeout=N`.
  const agent = new Agent({ keepAlive: true, scheduling: 'fifo', timeout: KEEP_ALIVE_MS });
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (Date.now() < deadline) {
        const kind = pick(all);
        const phase = tally.phase;
        count(tally, kind, await send(url, kind, agent), phase);
      }
    }),
  );
  agent.destroy();
}

/** One client at a time whose body never completes, while one can still time out before `deadline`. */
export async function stalledClient(url: string, deadline: number, tally: Tally): Promise<void> {
  const agent = new Agent({ keepAlive: false });
  while (deadline - Date.now() > STALLED_BUDGET_MS) count(tally, STALLED, await send(url, STALLED, agent), tally.phase);
}

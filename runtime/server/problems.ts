// Errors a client sees: one kind per HTTP status, always answered as {"error": "..."}.
import type { ServerResponse } from 'node:http';

export type ProblemKind =
  | 'BadRequest'
  | 'NotFound'
  | 'TooLarge'
  | 'UnsupportedEncoding'
  | 'Unavailable'
  | 'QueueFull'
  | 'Timeout'
  | 'Internal';

export interface Problem {
  readonly kind: ProblemKind;
  readonly message: string;
}

const STATUS: Readonly<Record<ProblemKind, number>> = {
  BadRequest: 400,
  NotFound: 404,
  TooLarge: 413,
  UnsupportedEncoding: 415,
  Unavailable: 503,
  QueueFull: 503,
  Timeout: 504,
  Internal: 500,
};

/** Seconds a client should wait before retrying a request the full queue refused. */
const RETRY_AFTER_SECONDS = 1;

/** Answers with the problem's status and a JSON error body. */
export function sendProblem(res: ServerResponse, problem: Problem): void {
  const body = Buffer.from(JSON.stringify({ error: problem.message }));
  const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': body.length };
  if (problem.kind === 'QueueFull') headers['Retry-After'] = RETRY_AFTER_SECONDS;
  res.writeHead(STATUS[problem.kind], headers);
  res.end(body);
}

/** Answers 200 (or `status`) with a JSON body. */
export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  const body = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
}

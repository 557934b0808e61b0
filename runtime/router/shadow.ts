// Pairs the live answer to a mirrored request with the mirror's answer and records the
// comparison on the mirror version. Both answers are kept only up to a byte bound; the
// client's answer streams through untouched and never waits for the pairing.
import { compareAnswers, type ToleranceSettings } from './compare.ts';
import type { VersionMetrics } from './metrics.ts';

/** Receives an answer: its status (undefined when none came) and its body (undefined beyond the bound or on failure). */
export type AnswerSink = (status: number | undefined, body: Buffer | undefined) => void;

export interface AnswerPair {
  readonly live: AnswerSink;
  readonly mirrored: AnswerSink;
}

interface Answer {
  readonly status: number | undefined;
  readonly body: Buffer | undefined;
}

/** A pairing whose verdict lands on `mirror` once both answers are in. */
export function pairAnswers(mirror: VersionMetrics, tolerance: ToleranceSettings): AnswerPair {
  let live: Answer | undefined;
  let mirrored: Answer | undefined;
  const settle = () => {
    if (live !== undefined && mirrored !== undefined) mirror.compared(judge(live, mirrored, tolerance));
  };
  return {
    live: (status, body) => {
      live = { status, body };
      settle();
    },
    mirrored: (status, body) => {
      mirrored = { status, body };
      settle();
    },
  };
}

function judge(live: Answer, mirrored: Answer, tolerance: ToleranceSettings) {
  const liveFailed = live.status === undefined || live.status >= 500;
  if (mirrored.status === undefined || mirrored.status >= 500)
    return liveFailed ? { kind: 'skipped' as const } : { kind: 'error' as const };
  if (live.status !== 200 || live.body === undefined) return { kind: 'skipped' as const };
  if (mirrored.status !== 200) return { kind: 'mismatch' as const, maxAbsDifference: 0 };
  if (mirrored.body === undefined) return { kind: 'skipped' as const };
  const comparison = compareAnswers(live.body, mirrored.body, tolerance);
  if (comparison === undefined) return { kind: 'skipped' as const };
  return { kind: comparison.match ? ('match' as const) : ('mismatch' as const), maxAbsDifference: comparison.maxAbsDifference };
}

/** Collects a stream's chunks up to `maxBytes`; undefined beyond it. */
export function boundedBody(maxBytes: number): { add(chunk: Buffer): void; body(): Buffer | undefined } {
  let chunks: Buffer[] | undefined = [];
  let size = 0;
  return {
    add(chunk) {
      if (chunks === undefined) return;
      size += chunk.length;
      if (size > maxBytes) chunks = undefined;
      else chunks.push(chunk);
    },
    body: () => (chunks === undefined ? undefined : Buffer.concat(chunks)),
  };
}

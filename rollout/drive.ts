// One turn of a rollout, shared by the operator and local mode: decide whether an analysis
// interval is due, read the routers' figures for it, run the state machine, and take a
// baseline read when a new interval begins without one.
import type { RolloutStatus } from '../api/index.ts';
import { analysisDue, nextRollout, weightsKey, type RolloutDecision, type RolloutInputs } from './machine.ts';
import type { FigureWindows, FiguresRead } from './windows.ts';

export interface FiguresReader {
  /** Identifies the rollout's routers in `windows`. */
  readonly key: string;
  readonly windows: FigureWindows;
  read(): Promise<FiguresRead>;
  /** Told when a baseline read failed (the first interval then starts at the next read). */
  readonly onBaselineError?: (error: string) => void;
}

const ACTIVE = new Set(['Shadowing', 'Progressing', 'Paused']);

/** The rollout's next state, reading the routers when an interval is due. */
export async function driveRollout(
  inputs: Omit<RolloutInputs, 'window' | 'figuresUnavailable'>,
  reader: FiguresReader,
): Promise<RolloutDecision> {
  const { previous, settings, now } = inputs;
  let readNow = false;
  let decision: RolloutDecision;
  if (previous?.target === weightsKey(inputs.spec) && analysisDue(previous, settings, now)) {
    const read = await reader.read();
    readNow = read.ok;
    decision = nextRollout(
      read.ok ? { ...inputs, window: reader.windows.window(reader.key, read.value) } : { ...inputs, figuresUnavailable: read.error },
    );
  } else {
    decision = nextRollout(inputs);
  }
  if (!readNow && startsInterval(previous, decision.status)) await takeBaseline(reader);
  if (decision.status === undefined || !ACTIVE.has(decision.status.phase)) reader.windows.forget(reader.key);
  return decision;
}

/** A new interval began without a read (the rollout started, the candidate became ready, or the reader restarted). */
function startsInterval(previous: RolloutStatus | undefined, next: RolloutStatus | undefined): boolean {
  return next !== undefined && ACTIVE.has(next.phase) && next.analyzedAt !== undefined && next.analyzedAt !== previous?.analyzedAt;
}

async function takeBaseline(reader: FiguresReader): Promise<void> {
  reader.windows.forget(reader.key);
  const read = await reader.read();
  if (read.ok) reader.windows.window(reader.key, read.value);
  else reader.onBaselineError?.(read.error);
}

// Drives the rollout engine from reconcile: decides whether an analysis interval is due,
// reads the routers' figures for it, runs the state machine, and keeps a baseline read
// for the next interval. The machine itself (rollout/machine.ts) is pure.
import { resolveVersions, type InferenceService, type RolloutStatus } from '../../api/index.ts';
import { analysisDue, nextRollout, weightsKey, type RolloutDecision } from '../../rollout/machine.ts';
import { rolloutSettings } from '../../rollout/settings.ts';
import { versionObjectName } from '../builders/names.ts';
import { minimumAvailable } from '../builders/scaling.ts';
import { DeploymentKind } from '../kube/resources.ts';
import type { ChildCache } from './cache.ts';
import type { FigureWindows, RouterFiguresSource } from './router-figures.ts';
import { workloadProgress } from './status.ts';

export interface RolloutContext {
  readonly figures: RouterFiguresSource;
  readonly windows: FigureWindows;
  readonly children: ChildCache;
  readonly log: (event: Record<string, unknown>) => void;
}

const ACTIVE = new Set(['Shadowing', 'Progressing', 'Paused']);

/** The rollout's next state and the traffic the router should carry now. */
export async function decideRollout(context: RolloutContext, isvc: InferenceService, now: Date): Promise<RolloutDecision> {
  const key = `${isvc.metadata.namespace}/${isvc.metadata.name}`;
  const resolved = resolveVersions(isvc.spec);
  const spec = resolved.map((v) => ({ name: v.name, weight: v.weight }));
  const settings = isvc.spec.rollout === undefined ? undefined : rolloutSettings(isvc.spec.rollout);
  const previous = isvc.status?.rollout;
  const inputs = {
    spec, generation: isvc.metadata.generation ?? 0, settings, previous, now,
    effective: previous?.weights ?? isvc.status?.versions?.map((v) => ({ name: v.name, weight: v.weight })),
    candidateReady: (version: string) => {
      const deployment = context.children.get(DeploymentKind, { namespace: isvc.metadata.namespace, name: versionObjectName(isvc.metadata.name ?? '', version) });
      return workloadProgress(deployment, minimumAvailable(resolved.find((v) => v.name === version)!)).ready;
    },
  };
  let readNow = false;
  let decision: RolloutDecision;
  if (previous?.target === weightsKey(spec) && analysisDue(previous, settings, now)) {
    const read = await context.figures.read(isvc);
    readNow = read.ok;
    decision = nextRollout(read.ok ? { ...inputs, window: context.windows.window(key, read.value) } : { ...inputs, figuresUnavailable: read.error });
  } else {
    decision = nextRollout(inputs);
  }
  if (!readNow && startsInterval(previous, decision.status)) await takeBaseline(context, isvc, key);
  if (decision.status === undefined || !ACTIVE.has(decision.status.phase)) context.windows.forget(key);
  return decision;
}

/** A new interval began without a read (the rollout started, or the candidate became ready). */
function startsInterval(previous: RolloutStatus | undefined, next: RolloutStatus | undefined): boolean {
  return next !== undefined && ACTIVE.has(next.phase) && next.analyzedAt !== undefined && next.analyzedAt !== previous?.analyzedAt;
}

async function takeBaseline(context: RolloutContext, isvc: InferenceService, key: string): Promise<void> {
  context.windows.forget(key);
  const read = await context.figures.read(isvc);
  if (read.ok) context.windows.window(key, read.value);
  else context.log({ msg: 'rollout baseline not read; the first interval starts at the next read', key, error: read.error });
}

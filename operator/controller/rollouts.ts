// Drives the rollout engine (rollout/) from reconcile: the spec's weights, the previous
// status.rollout and the candidate's readiness from the Deployment cache go in; the next
// status.rollout and the traffic for the router's ConfigMap come out.
import { resolveVersions, rolloutControl, type InferenceService } from '../../api/index.ts';
import { driveRollout } from '../../rollout/drive.ts';
import type { RolloutDecision } from '../../rollout/machine.ts';
import { rolloutSettings } from '../../rollout/settings.ts';
import type { FigureWindows } from '../../rollout/windows.ts';
import { versionObjectName } from '../builders/names.ts';
import { minimumAvailable } from '../builders/scaling.ts';
import { DeploymentKind } from '../../kube/resources.ts';
import type { ChildCache } from './cache.ts';
import type { RouterFiguresSource } from './router-figures.ts';
import { workloadProgress } from './status.ts';

export interface RolloutContext {
  readonly figures: RouterFiguresSource;
  readonly windows: FigureWindows;
  readonly children: ChildCache;
  readonly log: (event: Record<string, unknown>) => void;
}

/** The rollout's next state and the traffic the router should carry now. */
export async function decideRollout(context: RolloutContext, isvc: InferenceService, now: Date): Promise<RolloutDecision> {
  const key = `${isvc.metadata.namespace}/${isvc.metadata.name}`;
  const resolved = resolveVersions(isvc.spec);
  const previous = isvc.status?.rollout;
  const candidateReady = (version: string) => {
    const deployment = context.children.get(DeploymentKind, {
      namespace: isvc.metadata.namespace,
      name: versionObjectName(isvc.metadata.name ?? '', version),
    });
    return workloadProgress(deployment, minimumAvailable(resolved.find((v) => v.name === version)!)).ready;
  };
  return driveRollout(
    {
      spec: resolved.map((v) => ({ name: v.name, weight: v.weight })),
      generation: isvc.metadata.generation ?? 0,
      settings: isvc.spec.rollout === undefined ? undefined : rolloutSettings(isvc.spec.rollout),
      previous,
      effective: previous?.weights ?? isvc.status?.versions?.map((v) => ({ name: v.name, weight: v.weight })),
      candidateReady,
      now,
      control: rolloutControl(isvc.metadata),
    },
    {
      key,
      windows: context.windows,
      read: () => context.figures.read(isvc),
      onBaselineError: (error) => context.log({ msg: 'rollout baseline not read; the first interval starts at the next read', key, error }),
    },
  );
}

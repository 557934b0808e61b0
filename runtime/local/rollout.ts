// Local mode runs the operator's rollout engine against the local router: an edit of the
// manifest's weights starts the same steps and gates, on the same figures (GET
// /router/stats), with the state kept in memory instead of status. Each transition is
// printed as one line starting `rollout:`.
import type { RolloutStatus, VersionWeight } from '../../api/index.ts';
import { driveRollout } from '../../rollout/drive.ts';
import { stepLabel, weightsKey, type RolloutDecision } from '../../rollout/machine.ts';
import { FigureWindows, readRouters } from '../../rollout/windows.ts';
import type { LocalPlan } from './plan.ts';

export interface LocalRolloutOptions {
  readonly plan: LocalPlan;
  readonly routerUrl: string;
  /** Puts the plan's versions (with these weights and this mirror) on the router. */
  readonly write: (plan: LocalPlan) => Promise<void>;
  readonly out: (line: string) => void;
}

export interface LocalRollout {
  /** A new manifest: its weights are walked to (or applied at once without spec.rollout). */
  apply(plan: LocalPlan): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the driver with the running plan's weights as the effective ones. */
export function startLocalRollout(options: LocalRolloutOptions): LocalRollout {
  let plan = options.plan;
  let generation = 1;
  let status: RolloutStatus | undefined;
  let effective: readonly VersionWeight[] = weightsOf(plan);
  let timer: NodeJS.Timeout | undefined;
  let turn: Promise<void> = Promise.resolve();
  let stopped = false;
  const reader = { key: 'local', windows: new FigureWindows(), read: () => readRouters([['router', options.routerUrl]]) };
  const step = async () => {
    clearTimeout(timer);
    if (stopped) return;
    const decision = await driveRollout(
      {
        spec: weightsOf(plan),
        generation,
        settings: plan.rollout,
        previous: status,
        effective,
        candidateReady: () => true,
        now: new Date(),
      },
      reader,
    );
    report(options.out, status, decision.status, plan);
    status = decision.status;
    effective = decision.weights;
    await options.write(withTraffic(plan, decision));
    if (decision.nextCheckMs !== undefined && !stopped)
      timer = setTimeout(() => {
        turn = turn.then(step);
      }, decision.nextCheckMs);
  };
  return {
    apply(next) {
      plan = next;
      generation += 1;
      turn = turn.then(step);
      return turn;
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await turn;
    },
  };
}

function weightsOf(plan: LocalPlan): VersionWeight[] {
  return plan.versions.map((v) => ({ name: v.name, weight: v.weight }));
}

function withTraffic(plan: LocalPlan, decision: RolloutDecision): LocalPlan {
  const versions = plan.versions.map((v) => ({ ...v, weight: decision.weights.find((w) => w.name === v.name)?.weight ?? v.weight }));
  return { ...plan, versions, mirror: decision.mirror ?? plan.mirror };
}

/** One line per phase, step or message change: `rollout: Paused (step 2/4, traffic v1=90,v2=10): ...`. */
function report(out: (line: string) => void, before: RolloutStatus | undefined, after: RolloutStatus | undefined, plan: LocalPlan): void {
  if (
    after === undefined ||
    (before?.phase === after.phase && before.step === after.step && before.target === after.target && before.message === after.message)
  )
    return;
  const share =
    after.totalRequests === 0 ? '' : `; ${after.candidate} served ${after.candidateRequests} of ${after.totalRequests} live requests`;
  out(
    `rollout: ${after.phase} (${stepLabel(after, plan.rollout?.steps.length ?? 0)}, traffic ${weightsKey(after.weights)}): ${after.message}${share}`,
  );
}

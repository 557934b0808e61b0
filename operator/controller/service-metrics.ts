// Per-InferenceService gauges, read from the informer caches when scraped: a dashboard
// compares each version's replicas with what its Deployment (or HPA) asks for, and an
// alert sees an aborted rollout. Reading at scrape time means a deleted
// InferenceService's series vanish with it, with no bookkeeping on the reconcile path.
import { Gauge, type Registry } from 'prom-client';
import type { InferenceServiceStatus } from '../../api/index.ts';
import type { KubeObject } from '../../kube/types.ts';
import { versionObjectName } from '../builders/names.ts';
import { workloadProgress } from './status.ts';

/** One version's replica counts, from its Deployment. */
export interface VersionReplicas {
  readonly version: string;
  readonly desired: number;
  readonly replicas: number;
  readonly ready: number;
}

/** What the gauges show for one InferenceService. */
export interface ServiceFigures {
  readonly namespace: string;
  readonly name: string;
  readonly versions: readonly VersionReplicas[];
  readonly rolloutAborted: boolean;
}

/** Where serviceFigures reads Deployments: the live ones (the cache) and the ones the operator means to apply. */
export interface DeploymentSources {
  readonly live: (namespace: string, name: string) => KubeObject | undefined;
  /** The planned Deployment, for a version whose live one does not exist (yet, or because the apiserver refuses it). */
  readonly planned: (name: string) => KubeObject | undefined;
}

/** Reads one InferenceService and its versions' Deployments. */
export function serviceFigures(isvc: KubeObject, deployments: DeploymentSources): ServiceFigures {
  const namespace = isvc.metadata.namespace ?? 'default';
  const name = isvc.metadata.name ?? '';
  const spec = isvc.spec as { versions?: readonly { name?: string }[] } | undefined;
  const versions = (spec?.versions ?? []).flatMap(({ name: version }) => {
    if (version === undefined) return [];
    const deploymentName = versionObjectName(name, version);
    const live = deployments.live(namespace, deploymentName);
    const progress = workloadProgress(live);
    // Without a live Deployment, what is desired is still what the operator plans to apply.
    const desired = live ? progress.desired : workloadProgress(deployments.planned(deploymentName)).desired;
    return [{ version, desired, replicas: progress.replicas, ready: progress.readyReplicas }];
  });
  const status = isvc.status as InferenceServiceStatus | undefined;
  return { namespace, name, versions, rolloutAborted: status?.rollout?.phase === 'Aborted' };
}

/** Registers the per-InferenceService gauges; `read` is called on every scrape. */
export function registerServiceGauges(registry: Registry, read: () => readonly ServiceFigures[]): void {
  new Gauge({
    name: 'kubeinfer_inferenceservice_replicas',
    help: "Replicas of each version's Deployment: desired (spec, as its HPA sets it), current and ready.",
    labelNames: ['namespace', 'inferenceservice', 'version', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const service of read()) {
        for (const v of service.versions) {
          const labels = { namespace: service.namespace, inferenceservice: service.name, version: v.version };
          for (const [state, value] of [
            ['desired', v.desired],
            ['current', v.replicas],
            ['ready', v.ready],
          ] as const)
            this.set({ ...labels, state }, value);
        }
      }
    },
  });
  new Gauge({
    name: 'kubeinfer_inferenceservice_rollout_aborted',
    help: '1 while the InferenceService rollout is Aborted (until the spec changes), else 0.',
    labelNames: ['namespace', 'inferenceservice'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const service of read())
        this.set({ namespace: service.namespace, inferenceservice: service.name }, service.rolloutAborted ? 1 : 0);
    },
  });
}

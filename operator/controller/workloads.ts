// What runs behind each Deployment the operator owns: its ReplicaSets and pods,
// from two informers filtered by the managed-by label that the pod template
// carries (the Deployment controller copies it onto ReplicaSets). Status reads
// them to say why a version is not ready; the operator never writes them.
import type { Informer } from '../../kube/client.ts';
import type { KubeObject } from '../../kube/types.ts';

/** The Deployment controller's revision annotation on ReplicaSets. */
const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

/** The newest ReplicaSet of one Deployment and the pods it created. */
export interface Workload {
  readonly replicaSet?: KubeObject;
  readonly pods: readonly KubeObject[];
}

const controlledBy = (object: KubeObject, uid: string | undefined) =>
  uid !== undefined && object.metadata.ownerReferences?.some((ref) => ref.controller && ref.uid === uid) === true;

const revision = (replicaSet: KubeObject) => Number(replicaSet.metadata.annotations?.[REVISION_ANNOTATION] ?? 0);

/** Reads ReplicaSets and pods from their informers' caches (no API call). */
export class WorkloadCache {
  readonly #replicaSets: Informer;
  readonly #pods: Informer;

  constructor(replicaSets: Informer, pods: Informer) {
    this.#replicaSets = replicaSets;
    this.#pods = pods;
  }

  /** The current rollout of a Deployment: pods of older revisions are on their way out and say nothing about it. */
  of(deployment: KubeObject): Workload {
    const namespace = deployment.metadata.namespace;
    const owned = this.#replicaSets.list(namespace).filter((replicaSet) => controlledBy(replicaSet, deployment.metadata.uid));
    const replicaSet = owned.reduce<KubeObject | undefined>(
      (newest, next) => (!newest || revision(next) > revision(newest) ? next : newest),
      undefined,
    );
    if (!replicaSet) return { pods: [] };
    const pods = this.#pods.list(namespace).filter((pod) => controlledBy(pod, replicaSet.metadata.uid) && !pod.metadata.deletionTimestamp);
    return { replicaSet, pods };
  }
}

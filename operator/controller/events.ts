// Kubernetes Events on the InferenceService for transitions a person wants in
// `kubectl describe`: children created, updated or deleted, readiness gained,
// stalls and failed writes. Never for a reconcile that changed nothing.
import { randomBytes } from 'node:crypto';
import type { KubeClient } from '../../kube/client.ts';
import { describeError } from '../../kube/errors.ts';
import { EventKind } from '../../kube/resources.ts';
import { inNamespace, type KubeObject } from '../../kube/types.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorder {
  record(subject: KubeObject, type: EventType, reason: string, message: string): Promise<void>;
}

/** Creates core/v1 Events through the client; failures are logged, never fatal. */
export function createEventRecorder(client: KubeClient, instance: string, log: (event: Record<string, unknown>) => void): EventRecorder {
  return {
    async record(subject, type, reason, message) {
      const now = new Date().toISOString();
      const event: KubeObject = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${subject.metadata.name}.${Date.now().toString(16)}${randomBytes(3).toString('hex')}`,
          ...inNamespace(subject.metadata.namespace),
        },
        involvedObject: {
          apiVersion: subject.apiVersion,
          kind: subject.kind,
          name: subject.metadata.name,
          namespace: subject.metadata.namespace,
          uid: subject.metadata.uid,
          resourceVersion: subject.metadata.resourceVersion,
        },
        type,
        reason,
        message: message.slice(0, 1024),
        source: { component: 'kubeinfer-operator' },
        reportingComponent: 'kubeinfer.io/operator',
        reportingInstance: instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      };
      const created = await client.create(event);
      if (!created.ok) log({ msg: 'event not recorded', resource: EventKind.plural, reason, error: describeError(created.error) });
    },
  };
}

// Ownership before apply. Server-side apply with force takes every field it
// names, so applying a child blindly would let anyone who may create an
// InferenceService take over an existing Service, Deployment or ConfigMap of
// the same name (and garbage collection would later delete it with the
// InferenceService). A child is applied only when it does not exist yet or is
// already controlled by this InferenceService (ownerReference uid).
//
// The informers only see objects carrying our labels, so a child missing from
// the cache is read from the API once before it is created. Between that read
// and the apply a namesake could still appear; whoever creates it then races a
// child the InferenceService already declared, which takes no one's traffic.
import type { KubeClient } from '../../kube/client.ts';
import type { Result } from '../../kube/errors.ts';
import { resourceFor, type ResourceKind } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';
import type { ChildCache } from './cache.ts';
import type { Problem } from './checks.ts';

/** Whether an object's controller is the InferenceService with this uid. */
export function controlledBy(object: KubeObject, uid: string): boolean {
  return (
    object.metadata.ownerReferences?.some((ref) => ref.controller === true && ref.kind === 'InferenceService' && ref.uid === uid) ?? false
  );
}

/** The desired children that exist but are not controlled by the InferenceService with this uid; those the cache lacks are read from the API. */
export async function foreignChildren(
  client: KubeClient,
  children: ChildCache,
  uid: string,
  desired: readonly KubeObject[],
): Promise<Result<KubeObject[]>> {
  const verdicts = await Promise.all(
    desired.map(async (object): Promise<Result<KubeObject | undefined>> => {
      const resource = resourceOf(object);
      const cached = children.get(resource, object.metadata);
      const live = cached ? { ok: true as const, value: cached } : await readLive(client, resource, object);
      const foreign = live.ok && live.value !== undefined && !controlledBy(live.value, uid);
      return live.ok ? { ok: true, value: foreign ? object : undefined } : live;
    }),
  );
  const foreign: KubeObject[] = [];
  for (const verdict of verdicts) {
    if (!verdict.ok) return verdict;
    if (verdict.value) foreign.push(verdict.value);
  }
  return { ok: true, value: foreign };
}

/** The Stalled problem for children that exist but belong to someone else. */
export function notOwnedProblem(foreign: readonly KubeObject[]): Problem {
  const what = foreign.map((object) => `${object.kind} ${object.metadata.name}`).join(', ');
  return {
    reason: 'NotOwned',
    message: `${what} already exist${foreign.length === 1 ? 's' : ''} and ${foreign.length === 1 ? 'is' : 'are'} not controlled by this InferenceService; the operator changes nothing until ${foreign.length === 1 ? 'it is' : 'they are'} deleted or the InferenceService is renamed.`,
  };
}

function resourceOf(object: KubeObject): ResourceKind {
  const resource = resourceFor(object.apiVersion, object.kind);
  if (!resource) throw new Error(`builders produced an unknown kind ${object.apiVersion} ${object.kind}`);
  return resource;
}

async function readLive(client: KubeClient, resource: ResourceKind, object: KubeObject): Promise<Result<KubeObject | undefined>> {
  const read = await client.get(resource, object.metadata);
  return read.ok || read.error.kind !== 'NotFound' ? read : { ok: true, value: undefined };
}

// `kubeinfer promote|rollback <name> <version>`: see traffic-patch.ts. Under
// GitOps the same edit belongs in git; the command prints it for that reason.
import type { InferenceService } from '../api/index.ts';
import { describeError } from '../kube/errors.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import { allTrafficTo, FIELD_MANAGER_CLI, InferenceServiceRef, kubectlCommand } from './traffic-patch.ts';

export interface TrafficFlags {
  readonly namespace?: string;
  readonly dryRun: boolean;
  readonly kubeconfig?: string;
}

/** Exit codes: 0 done (or nothing to do), 1 refused or failed, 2 unusable kubeconfig. */
export async function trafficCommand(verb: 'promote' | 'rollback', name: string, version: string, flags: TrafficFlags): Promise<number> {
  const loaded = loadKubeConfig(flags.kubeconfig);
  if (!loaded.ok) {
    process.stderr.write(`error: ${loaded.message}\n`);
    return 2;
  }
  const { kubeConfig, namespace: contextNamespace } = loaded;
  const namespace = flags.namespace ?? contextNamespace;
  const { createNodeKubeClient } = await import('../kube/node-client.ts');
  const client = createNodeKubeClient({ kubeConfig, fieldManager: FIELD_MANAGER_CLI });
  const read = await client.get(InferenceServiceRef, { namespace, name });
  if (!read.ok) {
    process.stderr.write(`error: InferenceService ${namespace}/${name}: ${describeError(read.error)}\n`);
    return 1;
  }
  const patch = allTrafficTo(read.value as unknown as InferenceService, version);
  if (!patch.ok) {
    process.stderr.write(`error: ${patch.message}\n`);
    return 1;
  }
  if (patch.unchanged) {
    process.stdout.write(`${namespace}/${name}: version ${version} already receives all traffic; nothing to ${verb}\n`);
    return 0;
  }
  process.stdout.write(`equivalent: ${kubectlCommand(name, namespace, patch.operations)}\n`);
  if (flags.dryRun) return 0;
  const guarded = [{ op: 'test' as const, path: '/metadata/resourceVersion', value: read.value.metadata.resourceVersion }, ...patch.operations];
  const written = await client.patch(InferenceServiceRef, { namespace, name }, guarded);
  if (!written.ok) {
    const hint = written.error.kind === 'Invalid' || written.error.kind === 'Conflict' ? ' (the object changed meanwhile or the edit was refused; run the command again)' : '';
    process.stderr.write(`error: ${verb} ${namespace}/${name} to ${version}: ${describeError(written.error)}${hint}\n`);
    return 1;
  }
  process.stdout.write(`${namespace}/${name}: ${verb === "promote" ? "promoted" : "rolled back"} to ${version} (weight 100; every other version 0). Watch: kubeinfer status ${name} -n ${namespace}\n`);
  return 0;
}

// `kubeinfer promote|rollback <name> <version>`: see traffic-patch.ts. Under
// GitOps the same edit belongs in git; the command prints it for that reason.
import { describeError } from '../../kube/errors.ts';
import { InferenceServiceKind } from '../../kube/resources.ts';
import { readInferenceService, type ClusterFlags } from './cluster.ts';
import { allTrafficTo, kubectlCommand } from './traffic-patch.ts';

export interface TrafficFlags extends ClusterFlags {
  readonly dryRun: boolean;
}

/** Exit codes: 0 done (or nothing to do), 1 refused or failed, 2 unusable kubeconfig. */
export async function trafficCommand(verb: 'promote' | 'rollback', name: string, version: string, flags: TrafficFlags): Promise<number> {
  const read = await readInferenceService(name, flags);
  if (!read.ok) return read.exitCode;
  const { client, namespace, isvc } = read;
  const patch = allTrafficTo(isvc, version);
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
  const guarded = [{ op: 'test' as const, path: '/metadata/resourceVersion', value: isvc.metadata.resourceVersion }, ...patch.operations];
  const written = await client.patch(InferenceServiceKind, { namespace, name }, guarded);
  if (!written.ok) {
    const hint =
      written.error.kind === 'Invalid' || written.error.kind === 'Conflict'
        ? ' (the object changed meanwhile or the edit was refused; run the command again)'
        : '';
    process.stderr.write(`error: ${verb} ${namespace}/${name} to ${version}: ${describeError(written.error)}${hint}\n`);
    return 1;
  }
  process.stdout.write(
    `${namespace}/${name}: ${verb === 'promote' ? 'promoted' : 'rolled back'} to ${version} (weight 100; every other version 0). Watch: kubeinfer status ${name} -n ${namespace}\n`,
  );
  return 0;
}

// The one read every cluster-facing CLI command starts with: the user's
// kubeconfig, a client under the CLI's own field manager, and the named
// InferenceService, with the error printed and the exit code chosen here.
import type { KubeConfig } from '@kubernetes/client-node';
import type { InferenceService } from '../../api/index.ts';
import type { KubeClient } from '../../kube/client.ts';
import { describeError } from '../../kube/errors.ts';
import { createNodeKubeClient } from '../../kube/node-client.ts';
import { InferenceServiceKind } from '../../kube/resources.ts';
import { loadKubeConfig } from '../../kube/kubeconfig.ts';

const FIELD_MANAGER_CLI = 'kubeinfer-cli';

/** `-n` and `--kubeconfig`, as kubectl reads them. */
export interface ClusterFlags {
  readonly namespace?: string;
  readonly kubeconfig?: string;
}

export type InferenceServiceRead =
  | {
      readonly ok: true;
      readonly client: KubeClient;
      readonly kubeConfig: KubeConfig;
      readonly namespace: string;
      readonly isvc: InferenceService;
    }
  | { readonly ok: false; readonly exitCode: 1 | 2 };

/** Reads one InferenceService; on failure the error is already on stderr (exit 2: kubeconfig, 1: API). */
export async function readInferenceService(name: string, flags: ClusterFlags): Promise<InferenceServiceRead> {
  const loaded = loadKubeConfig(flags.kubeconfig);
  if (!loaded.ok) {
    process.stderr.write(`error: ${loaded.message}\n`);
    return { ok: false, exitCode: 2 };
  }
  const namespace = flags.namespace ?? loaded.namespace;
  const client = createNodeKubeClient({ kubeConfig: loaded.kubeConfig, fieldManager: FIELD_MANAGER_CLI });
  const read = await client.get(InferenceServiceKind, { namespace, name });
  if (!read.ok) {
    process.stderr.write(`error: InferenceService ${namespace}/${name}: ${describeError(read.error)}\n`);
    return { ok: false, exitCode: 1 };
  }
  return { ok: true, client, kubeConfig: loaded.kubeConfig, namespace, isvc: read.value as unknown as InferenceService };
}

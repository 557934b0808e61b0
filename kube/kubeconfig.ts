// Loads a kubeconfig the way kubectl does: --kubeconfig, $KUBECONFIG,
// ~/.kube/config, then the in-cluster service account.
import { KubeConfig } from '@kubernetes/client-node';

export type LoadedKubeConfig =
  | { readonly ok: true; readonly kubeConfig: KubeConfig; readonly namespace: string }
  | { readonly ok: false; readonly message: string };

/** The KubeConfig plus the namespace of its current context, or why it could not be read. */
export function loadKubeConfig(path?: string): LoadedKubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    if (path) kubeConfig.loadFromFile(path);
    else kubeConfig.loadFromDefault();
  } catch (err) {
    return { ok: false, message: `cannot read kubeconfig ${path ?? '(default locations)'}: ${(err as Error).message}` };
  }
  if (!kubeConfig.getCurrentCluster()) return { ok: false, message: `kubeconfig ${path ?? '(default locations)'} has no current cluster` };
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  return { ok: true, kubeConfig, namespace: context?.namespace ?? 'default' };
}

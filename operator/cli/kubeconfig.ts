// Loads a kubeconfig the way kubectl does: --kubeconfig, $KUBECONFIG,
// ~/.kube/config, then the in-cluster service account.
import { KubeConfig } from '@kubernetes/client-node';

/** The KubeConfig plus the namespace of its current context. */
export function loadKubeConfig(path?: string): { kubeConfig: KubeConfig; namespace: string } {
  const kubeConfig = new KubeConfig();
  if (path) kubeConfig.loadFromFile(path);
  else kubeConfig.loadFromDefault();
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext());
  return { kubeConfig, namespace: context?.namespace ?? 'default' };
}

// A kubeconfig that authenticates as a ServiceAccount with a bound token from the
// TokenRequest API: the credentials an in-cluster pod of that account would have, so a
// process using it gets exactly the account's RBAC.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import type { ControlPlane } from '../../tools/cluster/index.ts';

interface Kubeconfig {
  clusters: { name: string; cluster: Record<string, unknown> }[];
}

/** Writes a kubeconfig for namespace/name's ServiceAccount to path. */
export async function writeServiceAccountKubeconfig(cp: ControlPlane, namespace: string, name: string, path: string): Promise<void> {
  const token = await cp.kubectl(['create', 'token', name, '--namespace', namespace, '--duration', '2h']);
  if (token.code !== 0) throw new Error(`TokenRequest for ${namespace}/${name} failed: ${token.stderr}`);
  const admin = parse(readFileSync(cp.kubeconfigPath, 'utf8')) as Kubeconfig;
  const cluster = admin.clusters[0]!;
  const user = `system:serviceaccount:${namespace}:${name}`;
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [cluster],
      users: [{ name: user, user: { token: token.stdout.trim() } }],
      contexts: [{ name: user, context: { cluster: cluster.name, user, namespace } }],
      'current-context': user,
    }),
    { mode: 0o600 },
  );
}

// Kubeconfig files for the control plane's identities. Certificates are embedded
// (`*-data`) so a kubeconfig keeps working when copied out of the control plane's dir.
import { readFile, writeFile } from 'node:fs/promises';
import { stringify } from 'yaml';
import type { KeyPair } from './certs.ts';

/** Everything one kubeconfig says: where the apiserver is, how to trust it, who we are. */
interface KubeconfigSpec {
  readonly server: string;
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
  readonly user: string;
  readonly context?: string;
}

/** The kubeconfig YAML for `spec`, with one cluster, user and (current) context. */
function renderKubeconfig(spec: KubeconfigSpec): string {
  const context = spec.context ?? 'kubeinfer-test';
  const b64 = (pem: string) => Buffer.from(pem).toString('base64');
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: context, cluster: { server: spec.server, 'certificate-authority-data': b64(spec.caPem) } }],
    users: [{ name: spec.user, user: { 'client-certificate-data': b64(spec.certPem), 'client-key-data': b64(spec.keyPem) } }],
    contexts: [{ name: context, context: { cluster: context, user: spec.user } }],
    'current-context': context,
  });
}

/** Writes a kubeconfig for the identity in `client` to `path` (mode 0600: it holds a key). */
export async function writeKubeconfig(path: string, server: string, ca: KeyPair, client: KeyPair, user: string): Promise<void> {
  const [caPem, certPem, keyPem] = await Promise.all([
    readFile(ca.cert, 'utf8'),
    readFile(client.cert, 'utf8'),
    readFile(client.key, 'utf8'),
  ]);
  await writeFile(path, renderKubeconfig({ server, caPem, certPem, keyPem, user }), { mode: 0o600 });
}

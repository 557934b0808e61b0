// The PKI of one control plane: a CA, the apiserver's serving certificate, one client
// certificate per identity, and the service-account signing key. X.509 needs a signer
// node:crypto does not have, so certificates come from the `openssl` CLI (1.1.1 or
// newer, present on every Linux and macOS developer machine); keys are EC P-256.
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A certificate and its private key, as PEM file paths. */
export interface KeyPair {
  readonly cert: string;
  readonly key: string;
}

/** Client identities the control plane's components (and tests) authenticate as. */
export interface ClientIdentities {
  readonly admin: KeyPair;
  readonly controllerManager: KeyPair;
  readonly scheduler: KeyPair;
}

/** Every file the components need, as paths under the control plane's dir. */
export interface Pki {
  readonly ca: KeyPair;
  readonly serving: KeyPair;
  readonly clients: ClientIdentities;
  /** The apiserver's identity towards aggregated APIs (a metrics adapter), which trust it by this name. */
  readonly frontProxyClient: KeyPair;
  readonly serviceAccountKey: string;
  readonly serviceAccountPub: string;
}

/** The name the apiserver's front-proxy client certificate carries (kubeadm's). */
export const FRONT_PROXY_CLIENT = 'front-proxy-client';

/** The in-cluster address of the `kubernetes` Service (first IP of the service CIDR). */
export const KUBERNETES_SERVICE_IP = '10.96.0.1';

const SERVING_NAMES = [
  'IP:127.0.0.1',
  'DNS:localhost',
  `IP:${KUBERNETES_SERVICE_IP}`,
  'DNS:kubernetes',
  'DNS:kubernetes.default',
  'DNS:kubernetes.default.svc',
  'DNS:kubernetes.default.svc.cluster.local',
];

// Our own config file, so the machine's openssl.cnf (which differs by distribution) cannot
// change what we issue. Go's verifier insists on CA:TRUE + keyCertSign for the CA.
const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
[serving]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = ${SERVING_NAMES.join(',')}
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = clientAuth
`;

const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
const DAYS = '3650';

/** Creates the CA, serving and client certificates and the service-account key pair in `<dir>/pki`. */
export async function generatePki(dir: string): Promise<Pki> {
  const pki = join(dir, 'pki');
  await mkdir(pki, { recursive: true });
  const config = join(pki, 'openssl.cnf');
  await writeFile(config, OPENSSL_CONFIG);
  const ca = { cert: join(pki, 'ca.crt'), key: join(pki, 'ca.key') };
  await openssl([
    'req',
    '-config',
    config,
    '-x509',
    '-new',
    ...NEW_EC_KEY,
    '-keyout',
    ca.key,
    '-out',
    ca.cert,
    '-days',
    DAYS,
    '-subj',
    '/CN=kubeinfer-test-ca',
    '-extensions',
    'ca',
  ]);
  const issue = (name: string, subject: string, profile: 'serving' | 'client') =>
    issueCertificate({ pki, config, ca, name, subject, profile });
  const [serving, admin, controllerManager, scheduler, frontProxyClient] = await Promise.all([
    issue('apiserver', '/CN=kube-apiserver', 'serving'),
    issue('admin', '/O=system:masters/CN=kubeinfer-admin', 'client'),
    issue('kube-controller-manager', '/CN=system:kube-controller-manager', 'client'),
    issue('kube-scheduler', '/CN=system:kube-scheduler', 'client'),
    issue('front-proxy-client', `/CN=${FRONT_PROXY_CLIENT}`, 'client'),
  ]);
  const serviceAccount = await writeServiceAccountKeys(pki);
  return { ca, serving, clients: { admin, controllerManager, scheduler }, frontProxyClient, ...serviceAccount };
}

interface IssueRequest {
  readonly pki: string;
  readonly config: string;
  readonly ca: KeyPair;
  readonly name: string;
  readonly subject: string;
  readonly profile: 'serving' | 'kubelet-serving' | 'client';
}

async function issueCertificate(req: IssueRequest): Promise<KeyPair> {
  const out = { cert: join(req.pki, `${req.name}.crt`), key: join(req.pki, `${req.name}.key`) };
  const csr = join(req.pki, `${req.name}.csr`);
  await openssl(['req', '-config', req.config, '-new', ...NEW_EC_KEY, '-keyout', out.key, '-out', csr, '-subj', req.subject]);
  // A random serial instead of -CAcreateserial: certificates are issued in parallel.
  await openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    req.ca.cert,
    '-CAkey',
    req.ca.key,
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    DAYS,
    '-extfile',
    req.config,
    '-extensions',
    req.profile,
    '-out',
    out.cert,
  ]);
  return out;
}

// Service-account tokens are signed with this key (ES256); the apiserver verifies with
// the public half and the controller-manager signs legacy token Secrets with the private one.
async function writeServiceAccountKeys(pki: string): Promise<{ serviceAccountKey: string; serviceAccountPub: string }> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const serviceAccountKey = join(pki, 'sa.key');
  const serviceAccountPub = join(pki, 'sa.pub');
  await writeFile(serviceAccountKey, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  await writeFile(serviceAccountPub, publicKey.export({ type: 'spki', format: 'pem' }));
  return { serviceAccountKey, serviceAccountPub };
}

/** A real node's identities: the kubelet serves (exec, logs) and every node component is a client. */
export interface NodePki {
  readonly kubeletServing: KeyPair;
  readonly kubelet: KeyPair;
  readonly kubeProxy: KeyPair;
  /** The apiserver's identity towards kubelets. */
  readonly apiserverKubeletClient: KeyPair;
}

/** Issues the node's certificates with the control plane's CA; the kubelet serves on `node.ip`. */
export async function generateNodePki(dir: string, ca: KeyPair, node: { readonly name: string; readonly ip: string }): Promise<NodePki> {
  const pki = join(dir, 'pki');
  const config = join(pki, 'node-openssl.cnf');
  await writeFile(
    config,
    `${OPENSSL_CONFIG}[kubelet-serving]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = IP:${node.ip},DNS:${node.name}
`,
  );
  const issue = (name: string, subject: string, profile: 'kubelet-serving' | 'client') =>
    issueCertificate({ pki, config, ca, name, subject, profile });
  const [kubeletServing, kubelet, kubeProxy, apiserverKubeletClient] = await Promise.all([
    issue('kubelet-serving', `/CN=${node.name}`, 'kubelet-serving'),
    issue('kubelet', `/O=system:nodes/CN=system:node:${node.name}`, 'client'),
    issue('kube-proxy', '/CN=system:kube-proxy', 'client'),
    issue('apiserver-kubelet-client', '/O=system:masters/CN=kube-apiserver-kubelet-client', 'client'),
  ]);
  return { kubeletServing, kubelet, kubeProxy, apiserverKubeletClient };
}

async function openssl(args: readonly string[]): Promise<void> {
  try {
    await run('openssl', args);
  } catch (error) {
    const err = error as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error('openssl is not on PATH: the test control plane issues its TLS certificates with it (install the openssl package)');
    }
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.trim() || err.message}`);
  }
}

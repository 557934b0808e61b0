// A client pod on the real node: the way a user in the cluster calls an InferenceService,
// by Service name through CoreDNS and kube-proxy. It runs the runtime image (it has node)
// idle, and the tests `kubectl exec` small scripts into it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChartCluster } from '../ship/chart-fixture.ts';
import { CHART_DIR } from '../ship/helm.ts';
import { OPERATOR_IMAGE, RUNTIME_IMAGE } from '../../tools/cluster/index.ts';

export const CLIENT_POD = 'client';

/** The idle client pod, with requests small enough for a 2-core node. */
export function clientPod(namespace: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: CLIENT_POD, namespace },
    spec: {
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: 'client',
          image: RUNTIME_IMAGE,
          imagePullPolicy: 'Never',
          command: ['node', '-e', 'setInterval(() => {}, 1 << 30)'],
          resources: { requests: { cpu: '20m', memory: '32Mi' } },
        },
      ],
    },
  };
}

/** The V2 request every test sends: x = 1, so y names the model (2x+1 = 3, 3x+1 = 4, ...). */
const INFER_BODY = JSON.stringify({ inputs: [{ name: 'input', shape: [1, 1], datatype: 'FP32', data: [1] }] });

// Sends `count` requests one after another; prints {"answers":{"<model_version>=<y>":n},"failures":[...]}.
const COUNT_SCRIPT = `
const [url, count, body] = process.argv.slice(1);
const answers = {};
const failures = [];
for (let i = 0; i < Number(count); i++) {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(10000) });
    const text = await res.text();
    if (res.status !== 200) { failures.push(res.status + ' ' + text.slice(0, 200)); continue; }
    const json = JSON.parse(text);
    const key = json.model_version + '=' + json.outputs[0].data[0];
    answers[key] = (answers[key] ?? 0) + 1;
  } catch (error) { failures.push(String(error.cause?.code ?? error.message)); }
}
console.log(JSON.stringify({ answers, failures }));
`;

// Steady load: one request every 1000/rate ms (not waiting for answers) until /tmp/<stop>
// exists; prints the tally, the failures with their time since start, and the count sent.
const LOAD_SCRIPT = `
import { existsSync } from 'node:fs';
const [url, rate, body, stop] = process.argv.slice(1);
const start = Date.now();
const answers = {};
const failures = [];
const pending = new Set();
let sent = 0;
const one = async () => {
  const at = Date.now() - start;
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5000) });
    const text = await res.text();
    if (res.status !== 200) { failures.push({ at, error: res.status + ' ' + text.slice(0, 160) }); return; }
    const json = JSON.parse(text);
    const key = json.model_version + '=' + json.outputs[0].data[0];
    answers[key] = (answers[key] ?? 0) + 1;
  } catch (error) { failures.push({ at, error: String(error.cause?.code ?? error.message) }); }
};
while (!existsSync('/tmp/' + stop) && Date.now() - start < 150000) {
  const p = one(); pending.add(p); p.finally(() => pending.delete(p)); sent++;
  await new Promise((r) => setTimeout(r, 1000 / Number(rate)));
}
await Promise.all(pending);
console.log(JSON.stringify({ sent, seconds: (Date.now() - start) / 1000, answers, failures }));
`;

/** What a batch of requests returned: answers counted by "<model_version>=<y>", and every failure. */
export interface Tally {
  readonly answers: Readonly<Record<string, number>>;
  readonly failures: readonly string[];
}

/** What a load run saw. */
export interface LoadResult {
  readonly sent: number;
  readonly seconds: number;
  readonly answers: Readonly<Record<string, number>>;
  readonly failures: readonly { readonly at: number; readonly error: string }[];
}

/** Runs a node script (ES module) inside the client pod; its stdout. */
export function execNode(
  cluster: ChartCluster,
  namespace: string,
  script: string,
  args: readonly string[],
  env: readonly string[] = [],
): Promise<string> {
  return cluster.kubectlOk([
    'exec',
    '-n',
    namespace,
    CLIENT_POD,
    '--',
    'env',
    ...env,
    'node',
    '--input-type=module',
    '-e',
    script,
    ...args,
  ]);
}

/** `count` V2 inference requests to `url` from inside the cluster, one at a time. */
export async function inferFromPod(cluster: ChartCluster, namespace: string, url: string, count: number): Promise<Tally> {
  return JSON.parse(await execNode(cluster, namespace, COUNT_SCRIPT, [url, String(count), INFER_BODY])) as Tally;
}

/** Steady load at `rate` requests/s from inside the cluster while `during` runs, and a little after. */
export async function loadDuring(
  cluster: ChartCluster,
  namespace: string,
  url: string,
  rate: number,
  during: () => Promise<void>,
): Promise<LoadResult> {
  const stop = `stop-${Date.now()}`;
  const load = execNode(cluster, namespace, LOAD_SCRIPT, [url, String(rate), INFER_BODY, stop]);
  try {
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    await during();
    // A few seconds of load after the change settled: shows that traffic recovered.
    await new Promise((resolve) => setTimeout(resolve, 5_000));
  } finally {
    await cluster.kubectlOk(['exec', '-n', namespace, CLIENT_POD, '--', 'touch', `/tmp/${stop}`]);
  }
  return JSON.parse(await load) as LoadResult;
}

/** The operator namespace the real-node tests install the chart into. */
export const OPERATOR_NS = 'kubeinfer-system';

/** Installs the chart from the locally built images (pull policy Never, requests a 2-core node can hold) and waits for it. */
export async function installChart(cluster: ChartCluster): Promise<void> {
  const values = join(cluster.scratch, 'values.json');
  writeFileSync(
    values,
    JSON.stringify({
      image: { repository: OPERATOR_IMAGE.split(':')[0], tag: OPERATOR_IMAGE.split(':')[1], pullPolicy: 'Never' },
      runtime: { image: RUNTIME_IMAGE },
      extraArgs: ['--image-pull-policy=Never'],
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '512Mi' } },
    }),
  );
  await cluster.helmOk([
    'install',
    'kubeinfer',
    CHART_DIR,
    '-n',
    OPERATOR_NS,
    '--create-namespace',
    '-f',
    values,
    '--wait',
    '--timeout',
    '180s',
  ]);
}

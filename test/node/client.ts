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
// exists; prints the tally, the failures with their time since start, the count sent, and
// the new connections that took over a second to open or failed to (DNS lookup + TCP
// connect, from undici's diagnostics channel): tells a slow connect from a hung exchange.
const LOAD_SCRIPT = `
import { existsSync } from 'node:fs';
import { subscribe } from 'node:diagnostics_channel';
const [url, rate, body, stop] = process.argv.slice(1);
const start = Date.now();
const answers = {};
const failures = [];
const pending = new Set();
let sent = 0;
const opening = new WeakMap();
const slowConnects = [];
subscribe('undici:client:beforeConnect', ({ connectParams }) => opening.set(connectParams, Date.now()));
const opened = (error) => ({ connectParams }) => {
  const began = opening.get(connectParams);
  if (began !== undefined && (error || Date.now() - began > 1000)) slowConnects.push({ at: began - start, ms: Date.now() - began, ...(error ? { error: true } : {}) });
};
subscribe('undici:client:connected', opened(false));
subscribe('undici:client:connectError', opened(true));
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
console.log(JSON.stringify({ sent, seconds: (Date.now() - start) / 1000, answers, failures, slowConnects }));
`;

// Calls ModelInfer `count` times on one channel to `target` (h2c), x = 1 as raw FP32 bytes,
// then once pinned by the request's model_version field and once by the x-kubeinfer-version
// metadata key; prints {"answers":{"<model_version>=<y>":n},"failures":[...],"pinned":{...}}.
// The client comes from the image itself: @grpc/grpc-js and kubeinfer's own protocol module.
const GRPC_SCRIPT = `
const [target, model, count, fieldPin, metadataPin] = process.argv.slice(1);
const { credentials, Metadata } = await import('@grpc/grpc-js');
const { serviceClients } = await import('/app/runtime/grpc/protocol.ts');
const client = new (serviceClients().inference)(target, credentials.createInsecure());
const x = Buffer.alloc(4);
x.writeFloatLE(1);
const infer = (version, metadata = new Metadata()) => new Promise((resolve, reject) => {
  const request = { model_name: model, model_version: version, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 1] }], raw_input_contents: [x] };
  client.ModelInfer(request, metadata, { deadline: Date.now() + 10000 }, (error, response) => (error ? reject(error) : resolve(response)));
});
const key = (response) => response.model_version + '=' + Buffer.from(response.raw_output_contents[0]).readFloatLE(0);
const answers = {};
const failures = [];
for (let i = 0; i < Number(count); i++) {
  try {
    const k = key(await infer(''));
    answers[k] = (answers[k] ?? 0) + 1;
  } catch (error) { failures.push(error.code + ' ' + error.details); }
}
const pinnedByMetadata = new Metadata();
pinnedByMetadata.set('x-kubeinfer-version', metadataPin);
const pinned = { field: key(await infer(fieldPin)), metadata: key(await infer('', pinnedByMetadata)) };
client.close();
console.log(JSON.stringify({ answers, failures, pinned }));
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
  /** New connections that took over a second to open, or failed to (ms since start, how long). */
  readonly slowConnects: readonly { readonly at: number; readonly ms: number; readonly error?: true }[];
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

/** What the gRPC client saw: the weighted calls' answers and failures, and the two pinned answers. */
export interface GrpcTally extends Tally {
  readonly pinned: { readonly field: string; readonly metadata: string };
}

/** `count` gRPC ModelInfer calls to `target` (host:port) from inside the cluster on one channel, then two pinned ones. */
export async function grpcFromPod(
  cluster: ChartCluster,
  namespace: string,
  call: {
    readonly target: string;
    readonly model: string;
    readonly count: number;
    readonly fieldPin: string;
    readonly metadataPin: string;
  },
): Promise<GrpcTally> {
  const args = [call.target, call.model, String(call.count), call.fieldPin, call.metadataPin];
  return JSON.parse(await execNode(cluster, namespace, GRPC_SCRIPT, args)) as GrpcTally;
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

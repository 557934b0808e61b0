// What access control costs at the router: the same JSON inference requests through
// `kubeinfer route` with no authentication (the baseline), with API keys (100 keys in
// the file, so every request hashes and compares against all of them), and with
// Kubernetes tokens reviewed by a real kube-apiserver (tools/cluster), cached (the
// default 10 s TTL) and uncached (TTL 0: a TokenReview and a SubjectAccessReview per
// request). Router, backend and load generator are separate processes on loopback.
// The modes are measured interleaved, round after round, and each cell is the median
// over the rounds, so that a burst of load from elsewhere skews all modes alike.
// Usage: node bench/router-auth.ts [--seconds 1.5] [--rounds 3] [--concurrency 1,16]
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { formatRouterConfig } from '../contracts/index.ts';
import { startControlPlane, type ControlPlane } from '../tools/cluster/index.ts';
import { firstLine, measure, type Cell, type Payload } from './load.ts';

const CLI = fileURLToPath(new URL('../bin/kubeinfer.ts', import.meta.url));
const BACKEND = fileURLToPath(new URL('./router-backend.ts', import.meta.url));
const API_KEY = 'bench-key-0099';

interface Mode {
  readonly name: string;
  readonly args: readonly string[];
  readonly authorization?: string;
}

/** A ServiceAccount `caller` allowed to infer on bench, a `router` allowed to review, and a kubeconfig for the router. */
async function grantKubernetesAccess(cp: ControlPlane, dir: string): Promise<{ kubeconfig: string; callerToken: string }> {
  const kubectl = async (args: string[], input?: string) => {
    const result = await cp.kubectl(args, input === undefined ? undefined : { input });
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout.trim();
  };
  for (const account of ['router', 'caller']) await kubectl(['create', 'serviceaccount', account, '-n', 'default']);
  await kubectl([
    'create',
    'clusterrolebinding',
    'bench-router-reviews',
    '--clusterrole=system:auth-delegator',
    '--serviceaccount=default:router',
  ]);
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: 'bench-infer', namespace: 'default' },
          rules: [{ apiGroups: ['serving.kubeinfer.io'], resources: ['inferenceservices'], resourceNames: ['bench'], verbs: ['infer'] }],
        },
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: 'bench-infer', namespace: 'default' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'bench-infer' },
          subjects: [{ kind: 'ServiceAccount', name: 'caller', namespace: 'default' }],
        },
      ],
    }),
  );
  const admin = cp.kubeConfig();
  const routerConfig = new KubeConfig();
  routerConfig.loadFromOptions({
    clusters: admin.clusters,
    users: [{ name: 'router', token: await kubectl(['create', 'token', 'router']) }],
    contexts: [{ name: 'router', cluster: admin.getCurrentCluster()!.name, user: 'router' }],
    currentContext: 'router',
  });
  const kubeconfig = join(dir, 'router.kubeconfig');
  await writeFile(kubeconfig, routerConfig.exportConfig());
  return { kubeconfig, callerToken: await kubectl(['create', 'token', 'caller']) };
}

/** Starts a router whose output (the audit lines) goes to a file, as to a log collector that keeps up; resolves with its URL. */
async function startRouter(configPath: string, args: readonly string[], children: ChildProcess[]): Promise<{ url: string }> {
  const logPath = `${configPath}.${children.length}.log`;
  const log = openSync(logPath, 'w');
  children.push(
    spawn(
      process.execPath,
      [CLI, 'route', '--config-file', configPath, '--host', '127.0.0.1', '--port', '0', '--shutdown-delay-ms', '0', ...args],
      { stdio: ['ignore', log, 'inherit'] },
    ),
  );
  closeSync(log);
  for (let attempt = 0; attempt < 400; attempt += 1) {
    const listening = (await readFile(logPath, 'utf8')).split('\n').find((line) => line.includes('"router listening"'));
    if (listening) return { url: String(JSON.parse(listening).url) };
    await sleep(50);
  }
  throw new Error(`the router with ${args.join(' ') || 'no flags'} did not start`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '1.5' },
      rounds: { type: 'string', default: '3' },
      concurrency: { type: 'string', default: '1,16' },
    },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const levels = values.concurrency.split(',').map(Number);
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-bench-auth-'));
  const children: ChildProcess[] = [];
  let cp: ControlPlane | undefined;
  try {
    const backend = spawn(process.execPath, [BACKEND], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(backend);
    const backendUrl = `http://127.0.0.1:${await firstLine(backend, (line) => line.trim())}`;
    const configPath = join(dir, 'router.json');
    await writeFile(
      configPath,
      formatRouterConfig({ model: 'bench', versions: [{ name: 'v1', weight: 100, url: backendUrl }], mirror: null }),
    );
    await writeFile(join(dir, 'keys'), `${Array.from({ length: 99 }, (_, i) => `other-key-${i}`).join('\n')}\n${API_KEY}\n`);
    cp = await startControlPlane();
    const access = await grantKubernetesAccess(cp, dir);
    const kubernetes = ['--auth-kubernetes', 'default/bench', '--kubeconfig', access.kubeconfig];
    const baseline: Mode = { name: 'none', args: [] };
    const modes: Mode[] = [
      baseline,
      { name: 'apiKey (100 keys)', args: ['--api-keys-file', join(dir, 'keys')], authorization: `Bearer ${API_KEY}` },
      { name: 'kubernetes, cached (10 s)', args: kubernetes, authorization: `Bearer ${access.callerToken}` },
      { name: 'kubernetes, uncached', args: [...kubernetes, '--auth-cache-ttl-ms', '0'], authorization: `Bearer ${access.callerToken}` },
    ];
    const routers = [];
    for (const mode of modes) routers.push({ mode, url: (await startRouter(configPath, mode.args, children)).url });
    process.stdout.write(
      `node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(
          ' ',
        )}; ${seconds} s per cell, median of ${rounds} interleaved rounds, closed loop, keep-alive; JSON infer, trivial backend\n\n`,
    );
    process.stdout.write(
      '| mode | concurrency | req/s | p50 µs | p99 µs | added p50 µs | added p99 µs | req/s vs none | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n',
    );
    for (const concurrency of levels) {
      const samples = new Map<string, Cell[]>(modes.map((mode) => [mode.name, []]));
      for (let round = 0; round < rounds; round += 1) {
        for (const { mode, url } of routers)
          samples.get(mode.name)!.push(await measure(`${url}/v2/models/bench/infer`, payload(mode.authorization), concurrency, seconds));
      }
      const base = median(samples.get(baseline.name)!);
      for (const mode of modes) {
        const cell = median(samples.get(mode.name)!);
        const row = [
          mode.name,
          concurrency,
          cell.rps.toFixed(0),
          cell.p50.toFixed(0),
          cell.p99.toFixed(0),
          (cell.p50 - base.p50).toFixed(0),
          (cell.p99 - base.p99).toFixed(0),
          (cell.rps / base.rps).toFixed(2),
          cell.errors,
        ];
        process.stdout.write(`| ${row.join(' | ')} |\n`);
      }
    }
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
    await cp?.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** Each statistic's median over the rounds; errors are summed. */
function median(cells: readonly Cell[]): Cell {
  const middle = (pick: (cell: Cell) => number) => cells.map(pick).sort((a, b) => a - b)[Math.floor(cells.length / 2)]!;
  return {
    rps: middle((cell) => cell.rps),
    p50: middle((cell) => cell.p50),
    p99: middle((cell) => cell.p99),
    errors: cells.reduce((sum, cell) => sum + cell.errors, 0),
  };
}

function payload(authorization: string | undefined): Payload {
  const body = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }] }));
  const headers = { 'content-type': 'application/json', 'content-length': body.length, ...(authorization ? { authorization } : {}) };
  return { name: 'JSON infer', body, headers };
}

await main();

// `kubeinfer operator` as a child process, run with the arguments the chart gives it,
// its log kept for assertions and the process always stopped (SIGTERM, then SIGKILL).
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../tools/cluster/index.ts';
import type { ChartCluster } from './chart-fixture.ts';
import { writeServiceAccountKubeconfig } from './service-account.ts';

const CLI = fileURLToPath(new URL('../../bin/kubeinfer.ts', import.meta.url));
const STOP_GRACE_MS = 20_000;

export interface OperatorProcess {
  /** Everything it printed so far (stdout and stderr). */
  log(): string;
  /** SIGTERM, SIGKILL after a grace period; resolves with the exit code (idempotent). */
  stop(): Promise<number | null>;
}

/** Starts `node bin/kubeinfer.ts <args>`; probe ports are moved to free loopback ports. */
export async function startOperator(args: readonly string[], env: Readonly<Record<string, string>>): Promise<OperatorProcess> {
  const ports = ['--bind-address=127.0.0.1', `--metrics-port=${await freePort()}`, `--health-port=${await freePort()}`];
  const child = spawn(process.execPath, [CLI, ...args, ...ports], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  let stopping: Promise<number | null> | undefined;
  return { log: () => output, stop: () => (stopping ??= stopChild(child)) };
}

async function stopChild(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, 'exit') as Promise<[number | null]>;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  const [code] = await exited;
  clearTimeout(timer);
  return code;
}

/** Starts the operator with the arguments of the installed chart's Deployment, as the chart's ServiceAccount (kubeconfig written to `kubeconfig`). */
export async function startChartOperator(cluster: ChartCluster, namespace: string, kubeconfig: string): Promise<OperatorProcess> {
  const deployment = JSON.parse(await cluster.kubectlOk(['get', 'deployment', 'kubeinfer', '-n', namespace, '-o', 'json'])) as {
    spec: { template: { spec: { containers: { args: string[] }[] } } };
  };
  const args = deployment.spec.template.spec.containers[0]!.args;
  await writeServiceAccountKubeconfig(cluster.cp, namespace, 'kubeinfer', kubeconfig);
  return startOperator([...args, '--kubeconfig', kubeconfig], { POD_NAMESPACE: namespace, POD_NAME: 'kubeinfer-ship-test' });
}

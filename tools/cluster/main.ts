// `npm run cluster`: the test control plane in the foreground for interactive use, with
// controller-manager, scheduler and kwok fake CPU and GPU nodes; `npm run cluster --
// --real-node`: with a real node instead, where kubeinfer's images really run. Prints
// `export KUBECONFIG=<path>` (and `export KUBEINFER_HOST_IP=<address>`, the host address
// pods reach) once usable; Ctrl-C or SIGTERM stops it and cleans up.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from './assets.ts';
import { isAlive, logTail } from './processes.ts';
import { NODE_NAME, OPERATOR_IMAGE, RUNTIME_IMAGE, startControlPlane } from './index.ts';
import type { ControlPlane } from './index.ts';

const stateDir = join(cacheRoot(), 'cluster');
const kubeconfigPath = join(stateDir, 'kubeconfig');
const pidPath = join(stateDir, 'pid');
const started = Date.now();

function say(message: string): void {
  process.stderr.write(`[cluster +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}\n`);
}

/** Refuses to start when another `npm run cluster` owns the stable kubeconfig. */
function claimStateDir(): void {
  mkdirSync(stateDir, { recursive: true });
  if (existsSync(pidPath)) {
    const pid = Number(readFileSync(pidPath, 'utf8'));
    if (pid && isAlive(pid)) {
      say(`another \`npm run cluster\` (pid ${pid}) is running and owns ${kubeconfigPath}; stop it first`);
      process.exit(1);
    }
  }
  writeFileSync(pidPath, String(process.pid));
}

function releaseStateDir(): void {
  rmSync(kubeconfigPath, { force: true });
  rmSync(pidPath, { force: true });
}

async function main(): Promise<void> {
  claimStateDir();
  process.on('exit', releaseStateDir);
  let cp: ControlPlane | undefined;
  let watch: NodeJS.Timeout | undefined;
  let stopping = false;
  const shutdown = async (reason: string, code: number) => {
    if (stopping) return;
    stopping = true;
    clearInterval(watch);
    say(`${reason}: stopping`);
    await cp?.stop();
    say('stopped, temp dir removed');
    process.exit(code);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // A second Ctrl-C while stopping gives up waiting; the exit hook SIGKILLs what is left.
    process.on(signal, () => (stopping ? process.exit(130) : void shutdown(signal, 0)));
  }
  const realNode = process.argv.includes('--real-node');
  cp = await startControlPlane(
    realNode ? { realNode, onProgress: say } : { controllerManager: true, scheduler: true, kwok: true, onProgress: say },
  );
  writeFileSync(kubeconfigPath, readFileSync(cp.kubeconfigPath), { mode: 0o600 });
  const nodes = realNode
    ? `${NODE_NAME} (real: images ${OPERATOR_IMAGE}, ${RUNTIME_IMAGE})`
    : cp.nodes.map((n) => (n.gpus ? `${n.name} (${n.gpus}x ${n.gpuProduct})` : n.name)).join(', ');
  say(`apiserver ${cp.server}; nodes: ${nodes}`);
  say(`component logs in ${join(cp.dir, 'logs')}; Ctrl-C stops everything`);
  process.stdout.write(`export KUBECONFIG=${kubeconfigPath}\n`);
  if (cp.hostIp) process.stdout.write(`export KUBEINFER_HOST_IP=${cp.hostIp}\n`);
  watch = watchComponents(cp, shutdown);
}

// Keeps node alive (the children are unref'd) and notices a component that dies on its own.
function watchComponents(cp: ControlPlane, shutdown: (reason: string, code: number) => Promise<void>): NodeJS.Timeout {
  return setInterval(() => {
    const dead = cp.components.find((component) => !component.running());
    if (!dead) return;
    say(`${dead.name} exited; last lines of ${dead.logPath}:\n${logTail(dead.logPath)}`);
    void shutdown(`${dead.name} died`, 1);
  }, 1_000);
}

main().catch((error: unknown) => {
  say(error instanceof Error ? error.message : String(error));
  process.exit(1);
});

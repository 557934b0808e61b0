// Child processes of one control plane, and the guarantee that none outlives us.
// Each component runs in its own process group (so stopping it also stops anything it
// forked) with stdout+stderr in `<dir>/logs/<name>.log`. Three layers of cleanup:
// stop() (normal path), process 'exit'/signal hooks (a test that forgot, Ctrl-C), and a
// reaper shell that outlives a SIGKILLed node process, kills the groups listed in
// `<dir>/pids` and removes the dir.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, openSync, readSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What to run: the component's name (also its log file's) and its command line. */
export interface ComponentSpec {
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
}

/** How a component's process ended. */
export interface ExitStatus {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running component. `exited` settles when its process is gone. */
export interface Component {
  readonly name: string;
  readonly pid: number;
  readonly logPath: string;
  readonly exited: Promise<ExitStatus>;
  running(): boolean;
}

/** The processes of one control plane, owned together, stopped together. */
export interface Supervisor {
  readonly dir: string;
  start(spec: ComponentSpec): Promise<Component>;
  /** The components started so far, in start order. */
  components(): readonly Component[];
  /** Stops every component started so far, keeping the dir (to start afresh in it). */
  stopComponents(): Promise<void>;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5_000;
const live = new Set<SupervisorState>();

interface SupervisorState {
  readonly dir: string;
  readonly keepDir: boolean;
  readonly components: Component[];
  reaperPid: number | undefined;
}

/** Takes ownership of `dir` (which must exist): everything started through it is killed and the dir removed on stop or exit. */
export function openSupervisor(dir: string, options: { keepDir?: boolean } = {}): Supervisor {
  installExitHooks();
  mkdirSync(join(dir, 'logs'), { recursive: true });
  const state: SupervisorState = { dir, keepDir: options.keepDir ?? false, components: [], reaperPid: undefined };
  state.reaperPid = spawnReaper(state);
  live.add(state);
  return {
    dir,
    start: (spec) => startComponent(state, spec),
    components: () => [...state.components],
    stopComponents: () => stopComponents(state),
    stop: () => stopAll(state),
  };
}

async function startComponent(state: SupervisorState, spec: ComponentSpec): Promise<Component> {
  const logPath = join(state.dir, 'logs', `${spec.name}.log`);
  const fd = openSync(logPath, 'a');
  const child = spawn(spec.binary, spec.args, { detached: true, stdio: ['ignore', fd, fd], cwd: state.dir });
  closeSync(fd);
  let running = true;
  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error) => {
      running = false;
      reject(new Error(`cannot start ${spec.name} (${spec.binary}): ${error.message}`));
    });
  });
  // Not keeping node alive: a test file that forgets stop() still exits, and the exit hook kills the group.
  child.unref();
  const pid = child.pid as number;
  appendFileSync(join(state.dir, 'pids'), `${pid}\n`);
  const component: Component = { name: spec.name, pid, logPath, exited, running: () => running };
  state.components.push(component);
  return component;
}

async function stopComponents(state: SupervisorState): Promise<void> {
  // Reverse start order: clients (kwok, scheduler, controller-manager) before the apiserver before etcd.
  for (const component of state.components.splice(0).reverse()) await stopComponent(component);
}

async function stopAll(state: SupervisorState): Promise<void> {
  try {
    await stopComponents(state);
  } finally {
    killGroup(state.reaperPid, 'SIGKILL');
    live.delete(state);
    if (!state.keepDir) rmSync(state.dir, { recursive: true, force: true });
  }
}

async function stopComponent(component: Component): Promise<void> {
  if (!component.running()) return;
  killGroup(component.pid, 'SIGTERM');
  const timedOut = Symbol('timeout');
  const ac = new AbortController();
  const first = await Promise.race([component.exited, sleep(STOP_GRACE_MS, timedOut, { signal: ac.signal }).catch(() => timedOut)]);
  ac.abort();
  if (first !== timedOut) return;
  killGroup(component.pid, 'SIGKILL');
  await component.exited;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

// Runs detached so that it survives a SIGKILL of node; polls once a second for its parent.
function spawnReaper(state: SupervisorState): number | undefined {
  const script = [
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done',
    'if [ -f "$2/pids" ]; then while read -r pgid; do kill -KILL -- "-$pgid" 2>/dev/null; done < "$2/pids"; fi',
    '[ "$3" = keep ] || rm -rf "$2"',
  ].join('\n');
  const reaper = spawn('bash', ['-c', script, 'kubeinfer-reaper', String(process.pid), state.dir, state.keepDir ? 'keep' : 'remove'], {
    detached: true,
    stdio: 'ignore',
  });
  reaper.on('error', () => {
    /* no bash: the in-process hooks still clean up */
  });
  reaper.unref();
  return reaper.pid;
}

let hooksInstalled = false;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      // Someone else (npm run cluster) handles this signal and will exit; 'exit' cleans up then.
      if (process.listenerCount(signal) > 1) return;
      cleanupSync();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

const forcedCleanups = new Set<() => void>();

/**
 * Registers `cleanup` to run synchronously when the process exits or is signalled without
 * stop() (before the components are killed and their dirs removed); returns its unregister.
 */
export function onForcedCleanup(cleanup: () => void): () => void {
  installExitHooks();
  forcedCleanups.add(cleanup);
  return () => forcedCleanups.delete(cleanup);
}

function cleanupSync(): void {
  for (const cleanup of [...forcedCleanups]) {
    try {
      cleanup();
    } catch (error) {
      process.stderr.write(`[kubeinfer] cleanup on exit failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  forcedCleanups.clear();
  for (const state of live) {
    for (const component of state.components) if (component.running()) killGroup(component.pid, 'SIGKILL');
    killGroup(state.reaperPid, 'SIGKILL');
    // A mount left under the dir (EBUSY) must not turn the exit into a crash; the reaper retries.
    if (!state.keepDir) removeDir(state.dir);
  }
  live.clear();
}

function removeDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // The reaper tries again once this process is gone.
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The last `lines` lines of a log file ('' when it does not exist). */
export function logTail(path: string, lines = 40): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = statSync(path).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return buffer
      .toString('utf8')
      .split('\n')
      .slice(-lines - 1)
      .join('\n')
      .trimEnd();
  } finally {
    closeSync(fd);
  }
}

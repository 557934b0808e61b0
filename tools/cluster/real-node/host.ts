// What a real node changes on the host outside its own dir, recorded before it starts
// and undone after it stops: sysctls the kubelet, kube-proxy and CNI set, directories
// they create at fixed paths, mounts, the bridge, iptables chains, cgroups and the
// containerd shims that outlive containerd. The record is a file in the cache, so the
// next start undoes what a killed run (SIGKILL, crash) left behind; it also serves as the
// lock that lets one node at a time run on the host.
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { cacheRoot } from '../assets.ts';
import { isAlive, onForcedCleanup } from '../processes.ts';
import { BRIDGE, CGROUP_ROOT, GATEWAY_IP } from './config.ts';
import { nftTables, removeChains, removeNewIptablesTables } from './iptables.ts';

const run = promisify(execFile);

// kubelet (setupKernelTunables), kube-proxy (route_localnet), bridge CNI (ip_forward).
const SYSCTLS = [
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
  'net/ipv4/conf/all/route_localnet',
  'net/ipv4/ip_forward',
  'net/bridge/bridge-nf-call-iptables',
  'net/bridge/bridge-nf-call-ip6tables',
];
// Written by the kubelet, containerd and CNI whatever their configuration says.
const FIXED_DIRS = [
  '/var/lib/kubelet',
  '/var/log/containers',
  '/var/log/pods',
  '/run/containerd',
  '/run/netns',
  '/var/lib/cni',
  '/etc/cni',
  '/opt/cni',
];
const CGROUP_FS = '/sys/fs/cgroup';

/** The host as it was before the node started, and where the node lives. */
export interface HostRecord {
  readonly owner: number;
  readonly nodeDir: string;
  readonly containerdSocket: string;
  readonly sysctls: Readonly<Record<string, string>>;
  readonly absentDirs: readonly string[];
  readonly mounts: readonly string[];
  readonly nftTables: readonly string[];
}

const recordPath = (): string => join(cacheRoot(), 'real-node.json');

// Another process's node (a parallel test file, `npm run cluster -- --real-node`) is waited for.
const CLAIM_WAIT_MS = 15 * 60_000;

/**
 * Claims the host for one node: waits while another live process holds it, undoes a dead
 * one's leftovers, records the host. The record file is the lock (created exclusively).
 */
export async function claimHost(nodeDir: string, containerdSocket: string, waitMs = CLAIM_WAIT_MS): Promise<HostRecord> {
  const deadline = Date.now() + waitMs;
  for (let waiting = false; ; ) {
    const previous = readRecord();
    if (previous && previous.owner !== process.pid && isAlive(previous.owner)) {
      if (!waiting)
        process.stderr.write(`[kubeinfer] another real node (process ${previous.owner}) holds this host; waiting for it to stop\n`);
      waiting = true;
      if (Date.now() > deadline) {
        throw new Error(
          `another real node (process ${previous.owner}, dir ${previous.nodeDir}) has held this host for over ${waitMs / 60_000} minutes; one runs at a time`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      continue;
    }
    if (previous) restoreHost(previous);
    const record = recordHost(nodeDir, containerdSocket);
    mkdirSync(cacheRoot(), { recursive: true });
    try {
      writeFileSync(recordPath(), JSON.stringify(record, null, 2), { flag: 'wx' });
      // An exit without stop() (a crash, Ctrl-C while starting) still undoes the host.
      unregisterExitCleanup = onForcedCleanup(() => restoreHost(record));
      return record;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** The live process whose real node holds this host, if any. */
export function hostHolder(): number | undefined {
  const owner = readRecord()?.owner;
  return owner !== undefined && isAlive(owner) ? owner : undefined;
}

let unregisterExitCleanup: (() => void) | undefined;

function recordHost(nodeDir: string, containerdSocket: string): HostRecord {
  return {
    owner: process.pid,
    nodeDir,
    containerdSocket,
    sysctls: Object.fromEntries(
      SYSCTLS.filter((key) => existsSync(`/proc/sys/${key}`)).map((key) => [key, readFileSync(`/proc/sys/${key}`, 'utf8').trim()]),
    ),
    absentDirs: FIXED_DIRS.filter((dir) => !existsSync(dir)),
    mounts: mountPoints(),
    nftTables: nftTables(),
  };
}

/** The bridge with the gateway address (so CoreDNS and host servers can bind it before any pod), and the cgroup root. */
export async function prepareHost(): Promise<void> {
  await run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  await run('ip', ['addr', 'add', `${GATEWAY_IP}/24`, 'dev', BRIDGE]);
  await run('ip', ['link', 'set', BRIDGE, 'up']);
  for (const hierarchy of cgroupHierarchies()) {
    const root = join(hierarchy, CGROUP_ROOT);
    mkdirSync(root, { recursive: true });
    // A new cpuset cgroup starts with no CPUs and no memory nodes; nothing could run in it.
    if (existsSync(join(hierarchy, 'cpuset.cpus'))) {
      for (const file of ['cpuset.cpus', 'cpuset.mems']) writeFileSync(join(root, file), readFileSync(join(hierarchy, file)));
    }
  }
}

/**
 * Undoes everything in `record`; idempotent and synchronous (an exit hook runs it too).
 * Our own node's processes still running (an exit without stop()) are killed first.
 */
export function restoreHost(record: HostRecord): void {
  const ours = record.owner === process.pid;
  if (ours) killNodeProcesses(record.nodeDir);
  killPids(cgroupPids());
  killPids(shimPids(record.containerdSocket));
  unmountNew(record);
  spawnSync('ip', ['link', 'del', BRIDGE], { stdio: 'ignore' });
  removeChains(/^(KUBE-|CNI-)/);
  removeNewIptablesTables(record.nftTables);
  removeCgroups();
  for (const [key, value] of Object.entries(record.sysctls)) {
    if (readFileSync(`/proc/sys/${key}`, 'utf8').trim() !== value) writeFileSync(`/proc/sys/${key}`, value);
  }
  for (const dir of record.absentDirs) rmSync(dir, { recursive: true, force: true });
  // A dead run's control-plane dir, which its reaper could not remove while mounts were in it.
  if (!ours) rmSync(dirname(record.nodeDir), { recursive: true, force: true });
  rmSync(recordPath(), { force: true });
  if (ours) unregisterExitCleanup?.();
}

// The node supervisor's process groups (its `pids` file), killed and waited for.
function killNodeProcesses(nodeDir: string): void {
  let groups: number[];
  try {
    groups = readFileSync(join(nodeDir, 'pids'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return;
  }
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (let waited = 0; waited < 3_000 && groups.some(isAlive); waited += 50) sleepSync(50);
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// A record cut short (the writer killed mid-write) is removed: it records nothing usable.
function readRecord(): HostRecord | undefined {
  let text: string;
  try {
    text = readFileSync(recordPath(), 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as HostRecord;
  } catch {
    rmSync(recordPath(), { force: true });
    return undefined;
  }
}

function cgroupHierarchies(): string[] {
  return readdirSync(CGROUP_FS)
    .map((name) => join(CGROUP_FS, name))
    .filter((path) => statSync(path).isDirectory() && existsSync(join(path, 'cgroup.procs')));
}

/** Every cgroup under the node's root, deepest first. */
function nodeCgroups(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) walk(join(dir, entry.name));
    found.push(dir);
  };
  for (const hierarchy of cgroupHierarchies()) if (existsSync(join(hierarchy, CGROUP_ROOT))) walk(join(hierarchy, CGROUP_ROOT));
  return found;
}

// The pods' processes: every one of them sits in a cgroup under the node's root.
function cgroupPids(): number[] {
  return [
    ...new Set(nodeCgroups().flatMap((dir) => readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number))),
  ];
}

// containerd's shims re-parent to init and outlive containerd; ours name our socket.
function shimPids(socket: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv[0]?.includes('containerd-shim') === true && argv.includes(socket);
      } catch {
        return false;
      }
    });
}

function killPids(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

function mountPoints(): string[] {
  // Field 5 of mountinfo, with the kernel's octal escapes (\040 for a space) decoded.
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => (line.split(' ')[4] ?? '').replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))));
}

function unmountNew(record: HostRecord): void {
  const before = new Set(record.mounts);
  const ours = [record.nodeDir, ...FIXED_DIRS];
  const targets = [...new Set(mountPoints())]
    .filter((point) => !before.has(point) && ours.some((root) => point === root || point.startsWith(`${root}/`)))
    .sort((a, b) => b.length - a.length);
  for (const point of targets) {
    if (spawnSync('umount', [point], { stdio: 'ignore' }).status !== 0) spawnSync('umount', ['-l', point], { stdio: 'ignore' });
  }
}

function removeCgroups(): void {
  for (let attempt = 0; attempt < 50; attempt++) {
    const left = nodeCgroups().filter((dir) => {
      try {
        rmdirSync(dir);
        return false;
      } catch {
        return true;
      }
    });
    if (left.length === 0) return;
    killPids(cgroupPids());
    sleepSync(100);
  }
  throw new Error(`cgroups still busy after the node stopped: ${nodeCgroups().join(', ')}`);
}

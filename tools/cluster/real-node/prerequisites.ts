// What a real node needs from the machine, checked before anything is touched, so that a
// machine without it gets one error naming every missing piece and how to get it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const PACKAGES_SCRIPT = fileURLToPath(new URL('./packages.sh', import.meta.url));
// The cgroup v1 controllers the kubelet and runc use (the hosts this harness knows).
const CGROUP_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'devices', 'freezer'];

/** Every missing prerequisite, as a line saying what and how to get it (empty: all there). */
export function missingPrerequisites(): string[] {
  const missing: string[] = [];
  if (process.getuid?.() !== 0)
    missing.push('root: containerd, the kubelet and kube-proxy change mounts, cgroups and iptables (run the tests as root)');
  const absent = CGROUP_CONTROLLERS.filter((name) => !existsSync(`/sys/fs/cgroup/${name}/cgroup.procs`));
  if (absent.length > 0) {
    missing.push(
      `cgroup v1 controllers ${absent.join(', ')} under /sys/fs/cgroup (this harness runs the kubelet on cgroup v1 hosts; a cgroup v2-only host is not supported yet)`,
    );
  }
  const packages = spawnSync('bash', [PACKAGES_SCRIPT, 'missing'], { encoding: 'utf8' });
  const names =
    packages.status === 0
      ? packages.stdout.split('\n').filter(Boolean)
      : [`(cannot run ${PACKAGES_SCRIPT}: ${packages.stderr || packages.error?.message})`];
  if (names.length > 0) missing.push(`Debian packages ${names.join(' ')} (apt-get install them, or: bash ${PACKAGES_SCRIPT} install)`);
  return missing;
}

/** Throws one error listing every missing prerequisite. */
export function assertPrerequisites(): void {
  const missing = missingPrerequisites();
  if (missing.length > 0)
    throw new Error(`a real node cannot start on this machine; missing:\n${missing.map((line) => `  - ${line}`).join('\n')}`);
}

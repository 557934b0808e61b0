// The host state a real node must leave as it found it: links, iptables rules, mounts,
// cgroups, the sysctls the kubelet and kube-proxy change, and the fixed directories they write.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot } from '../../tools/cluster/assets.ts';
import { hostHolder } from '../../tools/cluster/real-node/host.ts';

const SYSCTLS = ['vm/overcommit_memory', 'kernel/panic', 'kernel/panic_on_oops', 'net/ipv4/conf/all/route_localnet', 'net/ipv4/ip_forward'];
const FIXED_DIRS = ['/var/lib/kubelet', '/var/log/containers', '/var/log/pods', '/run/containerd', '/run/netns', '/var/lib/cni'];

/**
 * One snapshot of everything above, as comparable text per item, taken while no real node
 * holds the host (another test process may run one; its bridge would look like ours).
 * Mounts of image builds (a concurrent build-images.sh) are not the node's and are left out.
 */
export function idleHostState(): Record<string, string> {
  // Blocking on purpose: root before() hooks run concurrently, and this one must be done
  // before the fixture's starts the control plane.
  for (let waited = 0; hostHolder() !== undefined; waited += 2_000) {
    if (waited > 15 * 60_000) throw new Error(`the real node of process ${hostHolder()} has held the host for 15 minutes`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2_000);
  }
  return hostState();
}

function hostState(): Record<string, string> {
  const cgroups = readdirSync('/sys/fs/cgroup')
    .map((hierarchy) => join('/sys/fs/cgroup', hierarchy))
    .flatMap((dir) => {
      try {
        return readdirSync(dir, { withFileTypes: true })
          .filter((entry) => entry.isDirectory())
          .map((entry) => join(dir, entry.name));
      } catch {
        return [];
      }
    });
  return {
    links: output('ip', ['-br', 'link'])
      .split('\n')
      .map((line) => line.split(/\s+/)[0])
      .sort()
      .join(' '),
    // Without the comment lines (they carry the time) and the packet counters.
    iptables: ['iptables-save', 'ip6tables-save']
      .map((command) =>
        output(command)
          .split('\n')
          .filter((line) => !line.startsWith('#'))
          .map((line) => line.replace(/\[\d+:\d+\]/, ''))
          .join('\n'),
      )
      .join('\n'),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4] ?? '')
      .filter((point) => !point.startsWith(join(cacheRoot(), 'images')))
      .sort()
      .join('\n'),
    cgroups: cgroups.sort().join('\n'),
    sysctls: SYSCTLS.map((key) => `${key}=${readFileSync(`/proc/sys/${key}`, 'utf8').trim()}`).join(' '),
    fixedDirs: FIXED_DIRS.filter((dir) => existsSync(dir)).join(' '),
  };
}

// A machine without the command gets a snapshot anyway: the real node then fails to start
// and says what is missing, which is the error the tests should show.
function output(command: string, args: readonly string[] = []): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8' });
  } catch (error) {
    return `(${command}: ${(error as Error).message})`;
  }
}

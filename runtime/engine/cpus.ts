// How many cores this process may really use. In a container, os.availableParallelism()
// reports the node's cores while the cgroup CPU limit may allow far fewer; sizing
// onnxruntime's thread pools by the node would oversubscribe the pod's quota.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Cores allowed by the cgroup v2 limit `cpu.max` ("max 100000" or "<quota> <period>"), if any. */
export function cgroupCpuLimit(cpuMax: string): number | undefined {
  const [quota, period] = cpuMax.trim().split(/\s+/);
  if (quota === undefined || quota === 'max' || period === undefined) return undefined;
  const cores = Number(quota) / Number(period);
  return Number.isFinite(cores) && cores > 0 ? Math.max(1, Math.ceil(cores)) : undefined;
}

/** Cores to plan threads for: the scheduler's view, capped by the cgroup limit. */
export function cpuBudget(): number {
  let limit: number | undefined;
  try {
    limit = cgroupCpuLimit(readFileSync('/sys/fs/cgroup/cpu.max', 'utf8'));
  } catch {
    limit = undefined;
  }
  return Math.min(availableParallelism(), limit ?? Number.POSITIVE_INFINITY);
}

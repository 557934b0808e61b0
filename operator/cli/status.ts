// `kubeinfer status <name>`: the InferenceService's status as a person reads
// it: readiness, URL, each version's weight and replicas, stall reasons, and why
// each version that is not ready is not.
import { stringify } from 'yaml';
import { mirrorOf, resolveVersions, type InferenceService, type RolloutStatus } from '../../api/index.ts';
import { stepLabel } from '../../rollout/machine.ts';
import { GRPC_PORT } from '../builders/options.ts';
import { readInferenceService, type ClusterFlags } from './cluster.ts';

export interface StatusFlags extends ClusterFlags {
  readonly output: string;
}

/** Rows as left-aligned columns two spaces apart (the first row is the header). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [column, cell] of row.entries()) widths[column] = Math.max(widths[column] ?? 0, cell.length);
  }
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Human-readable status of one InferenceService. */
export function formatStatus(isvc: InferenceService): string {
  const status = isvc.status ?? {};
  const conditions = status.conditions ?? [];
  const ready = conditions.find((condition) => condition.type === 'Ready');
  // Stalled and Reconciling carry the same message as a not-ready Ready: print it once.
  const repeated = (condition: { message: string }) =>
    conditions.some((other) => other.type !== 'Ready' && other.status === 'True' && other.message === condition.message);
  const generation = isvc.metadata.generation ?? 0;
  const observed = status.observedGeneration;
  const lines = [
    `Name:        ${isvc.metadata.name} (namespace ${isvc.metadata.namespace})`,
    `URL:         ${status.url ?? '-'}`,
    `gRPC:        ${status.url === undefined ? '-' : `${new URL(status.url).hostname}:${GRPC_PORT} (plaintext h2c)`}`,
    `Ready:       ${ready ? `${ready.status} (${ready.reason})${repeated(ready) ? '' : ` ${ready.message}`}` : 'Unknown (the operator has not reported yet)'}`,
    ...conditions
      .filter((condition) => condition.type !== 'Ready' && condition.status === 'True')
      .map((condition) => `${`${condition.type}:`.padEnd(12)} ${condition.reason}: ${condition.message}`),
    `Generation:  ${generation}${observed === generation ? '' : ` (operator has seen ${observed ?? 'none'} yet)`}`,
    `Traffic:     ${status.trafficSummary ?? '-'}`,
    '',
  ];
  const rows = [['VERSION', 'WEIGHT', 'READY', 'REPLICAS', 'REASON', 'MODEL']];
  const problems: string[] = [];
  for (const version of isvc.spec.versions) {
    const live = status.versions?.find((entry) => entry.name === version.name);
    const weight = live ? String(live.weight) : String(version.weight ?? '-');
    const replicas = live ? `${live.readyReplicas}/${live.replicas}` : '-';
    rows.push([version.name, weight, live ? String(live.ready) : '-', replicas, live?.reason ?? '-', version.model.uri]);
    if (live?.message) problems.push(`  ${version.name}: ${live.reason ?? ''}: ${live.message}`);
  }
  const mirror = mirrorOf(resolveVersions(isvc.spec));
  const mirrorLine = mirror ? `\nMirror:      ${mirror.percent}% of requests copied to ${mirror.version}` : '';
  const rollout = status.rollout ? `\n${formatRollout(status.rollout, isvc.spec.rollout?.steps.length ?? 0)}` : '';
  const problemLines = problems.length > 0 ? `\n\nVersions not ready:\n${problems.join('\n')}` : '';
  return `${lines.join('\n')}${table(rows)}${mirrorLine}${rollout}${problemLines}\n`;
}

/** The rollout block of `kubeinfer status`: phase, step, effective weights, the last analysis and the candidate's share of live traffic. */
export function formatRollout(rollout: RolloutStatus, steps: number): string {
  const weights = rollout.weights.map((w) => `${w.name}=${w.weight}`).join(',');
  const share = rollout.totalRequests === 0 ? 0 : (100 * rollout.candidateRequests) / rollout.totalRequests;
  const analysis = rollout.analysis;
  return [
    `Rollout:     ${rollout.phase} ${rollout.candidate} (stable ${rollout.stable}), ${stepLabel(rollout, steps)}, weights ${weights}, toward ${rollout.target}`,
    `             ${rollout.message}`,
    ...(analysis ? [`             last analysis: ${analysis.gate} ${analysis.verdict}: ${analysis.message}`] : []),
    `             live requests to ${rollout.candidate}: ${rollout.candidateRequests} of ${rollout.totalRequests} (${share.toFixed(1)}%), failed intervals ${rollout.failedIntervals}`,
  ].join('\n');
}

/** Exit codes: 0 shown, 1 not found or API error, 2 bad flags or kubeconfig. */
export async function statusCommand(name: string, flags: StatusFlags): Promise<number> {
  if (!['text', 'json', 'yaml'].includes(flags.output)) {
    process.stderr.write(`error: --output must be text, json or yaml, got ${flags.output}\n`);
    return 2;
  }
  const read = await readInferenceService(name, flags);
  if (!read.ok) return read.exitCode;
  const { isvc } = read;
  if (flags.output === 'json') process.stdout.write(`${JSON.stringify(isvc.status ?? {}, null, 2)}\n`);
  else if (flags.output === 'yaml') process.stdout.write(stringify(isvc.status ?? {}));
  else process.stdout.write(formatStatus(isvc));
  return 0;
}

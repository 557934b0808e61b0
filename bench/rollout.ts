// Rollout decisions in local mode (`kubeinfer run`, the operator's engine against the local
// router): a good candidate and three bad ones (503s, different answers, same answers but
// slower), each under the same client load. Prints, per candidate: the decision, time from
// the manifest edit to it, the live requests the candidate served, and requests that failed
// for clients. The good candidate is the baseline of the time ratio.
// Usage: node bench/rollout.ts [--rounds 1500] [--pause 5] [--concurrency 3]
import { parseArgs } from 'node:util';
import { addModel, slowAddModel } from '../tools/onnx/models.ts';
import { decideLocally, type LocalScenario } from '../test/local/rollout-scenario.ts';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '1500' },
    pause: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '3' },
  },
});
const common = { pauseSeconds: Number(values.pause), concurrency: Number(values.concurrency) };
const candidates: readonly (readonly [string, Omit<LocalScenario, 'pauseSeconds'>])[] = [
  ['good (same model)', { candidate: addModel({ scale: 2, offset: 1 }) }],
  [
    '503s (one-request queue)',
    { candidate: slowAddModel({ scale: 2, offset: 1, rounds: 500 }), candidateRuntime: ', runtime: {workers: 1, maxQueueSize: 1}' },
  ],
  ['different answers (+0.5)', { candidate: addModel({ scale: 2, offset: 1.5 }) }],
  [`slower (same answers, ${values.rounds} rounds)`, { candidate: slowAddModel({ scale: 2, offset: 1, rounds: Number(values.rounds) }) }],
];

const rows: string[] = [];
let baseline: number | undefined;
for (const [name, scenario] of candidates) {
  const decision = await decideLocally({ ...common, ...scenario });
  const last = decision.lines.at(-1) ?? '';
  process.stderr.write(`${name}: ${last}\n`);
  baseline ??= decision.seconds;
  const verdict = last.startsWith('rollout: Succeeded')
    ? 'succeeded'
    : `aborted (${/aborted by the ([a-z ]+?)(?: at| \()/u.exec(last)?.[1] ?? '?'})`;
  const served = /v2 served (\d+ of \d+)/u.exec(last)?.[1] ?? '0';
  rows.push(
    `| ${name} | ${verdict} | ${decision.seconds.toFixed(1)} s | ${(decision.seconds / baseline).toFixed(2)}x | ${served} | ${decision.failed} of ${decision.sent} |`,
  );
}
console.log('| candidate | decision | time to decision | vs good | live requests served by the candidate | client requests failed |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) console.log(row);

// Before and after, in one run: each scenario of "a data plane that holds under abuse" with
// its protection turned off by flags (before) and as shipped (after). Real `kubeinfer serve`
// processes on loopback; about 40 s in all.
//   1. SIGTERM under 32 keep-alive clients, the endpoint dropped 1 s after readiness fails:
//      --shutdown-delay-ms 0 (before) vs 3000.
//   2. 100 concurrent 4 MiB binary requests: a body budget too big to matter vs 16 MiB.
// Usage: node bench/abuse.ts
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { addModel } from '../tools/onnx/models.ts';
import { binaryBurst, endpointRemoval, keepAliveLoad, peakRss } from '../test/runtime/load.ts';
import { startServe } from './runtime-load.ts';

const MiB = 1024 * 1024;

/** Requests that failed (and were served) when the server is SIGTERMed under load. */
async function sigterm(model: string, delayMs: number): Promise<string> {
  const server = await startServe(model, ['--shutdown-delay-ms', String(delayMs)]);
  let removed = false;
  const load = keepAliveLoad(server.url, () => removed);
  await sleep(300);
  const stopped = server.stop();
  await endpointRemoval(server.url);
  removed = true;
  const tally = await load;
  await stopped;
  const failed = [...tally.failed.values()].reduce((sum, n) => sum + n, 0);
  return `${failed} failed of ${failed + tally.ok} (${JSON.stringify(Object.fromEntries(tally.failed))})`;
}

/** Peak memory growth and shed count under the burst. */
async function burst(model: string, budgetBytes: number): Promise<string> {
  const server = await startServe(model, ['--max-body-bytes-in-flight', String(budgetBytes)]);
  const before = peakRss(server.pid);
  const replies = await binaryBurst(server.url, 100);
  const growth = (peakRss(server.pid) - before) / MiB;
  await server.stop();
  return `peak RSS +${growth.toFixed(0)} MiB, ${replies.filter((reply) => reply.status === 503).length} shed (503)`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'kubeinfer-abuse-'));
  const small = join(dir, 'small.onnx');
  const wide = join(dir, 'wide.onnx');
  await writeFile(small, addModel());
  await writeFile(wide, addModel({ features: 1024 }));
  const rows = [
    ['SIGTERM, 32 keep-alive clients', await sigterm(small, 0), await sigterm(small, 3000)],
    ['100 x 4 MiB binary burst', await burst(wide, 1024 * 1024 * MiB), await burst(wide, 16 * MiB)],
  ];
  await rm(dir, { recursive: true, force: true });
  console.log('\n| scenario | before (protection off) | after (as shipped) |\n|---|---|---|');
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
}

await main();

// What a person sees and changes while `kubeinfer run` is up: the summary with ready-to-paste
// curls, and live traffic changes made by editing the manifest (weights and mirror apply
// at once, like the operator's ConfigMap updates; other edits need a restart).
import { watchTextFile } from '../router/index.ts';
import type { ConfigWatch, Router } from '../router/index.ts';
import { curlExamples, fetchInputs, grpcurlExample } from './example.ts';
import { readInferenceService } from './manifest.ts';
import { planLocalRun, sameRuntimes } from './plan.ts';
import type { LocalPlan } from './plan.ts';
import type { RunningRuntime } from './runtimes.ts';

/** Prints where everything listens and how to call it. */
export async function printReady(
  out: (line: string) => void,
  file: string,
  plan: LocalPlan,
  router: Router,
  runtimes: readonly RunningRuntime[],
): Promise<void> {
  out(`\nInferenceService ${plan.model} (${file}) is running:`);
  for (const runtime of runtimes) {
    const version = plan.versions.find((v) => v.name === runtime.version)!;
    const role = plan.mirror?.version === version.name ? `mirror ${plan.mirror.percent}%` : `weight ${version.weight}%`;
    out(`  ${version.name.padEnd(12)} ${role.padEnd(14)} ${runtime.url}  ${version.uri}`);
  }
  out(`\nRouter: ${router.url}   (V2 and V1 APIs; its metrics at ${router.url}/metrics)`);
  const inputs = await fetchInputs(runtimes[0]!.url, plan.model).catch(() => []);
  const [weighted, pinned] = curlExamples(router.url, plan.model, plan.versions.at(-1)!.name, inputs);
  out('\nTry it (the response names the version that answered: "model_version" and the x-kubeinfer-version header):');
  out(`  ${weighted}`);
  if (pinned !== undefined)
    out(`\nPin version ${plan.versions.at(-1)!.name} (or send the header x-kubeinfer-version: <version>):\n  ${pinned}`);
  out(`\ngRPC (Triton's inference.GRPCInferenceService, plaintext): 127.0.0.1:${router.grpcPort}, e.g. with grpcurl:`);
  out(`  ${grpcurlExample(router.grpcPort!, plan.model, inputs)}`);
  out(`\nEdit the weights in ${file} to shift traffic live. Ctrl-C stops everything.`);
}

/** Watches the manifest; valid traffic edits go to `applyPlan`, everything else is explained. */
export async function watchManifest(
  file: string,
  running: LocalPlan,
  applyPlan: (plan: LocalPlan) => Promise<void>,
  out: (line: string) => void,
  name?: string,
): Promise<ConfigWatch> {
  let current = running;
  let applying: Promise<void> = Promise.resolve();
  // The first read may already hold an edit made while the runtimes started: compare, never skip it.
  const watch = await watchTextFile(file, () => {
    applying = applying.then(async () => {
      const next = await planFromFile(file, name);
      if (typeof next === 'string') return out(next);
      if (JSON.stringify(next) === JSON.stringify(current)) return;
      if (!sameRuntimes(current, next)) {
        return out(
          `\n${file} changed versions, models or runtime settings: restart kubeinfer run to apply them (weights and mirror apply live).`,
        );
      }
      await applyPlan(next);
      current = next;
      out(next.rollout === undefined ? `\ntraffic now: ${describeTraffic(next)}` : `\nrolling out toward: ${describeTraffic(next)}`);
    });
  });
  return {
    async stop() {
      await watch.stop();
      await applying;
    },
  };
}

async function planFromFile(file: string, name?: string): Promise<LocalPlan | string> {
  const manifest = await readInferenceService(file, name);
  if (!manifest.ok) return `\n${file} changed but is not valid; still running the previous version of it:\n${manifest.lines.join('\n')}`;
  const planned = planLocalRun(manifest.service);
  return planned.ok ? planned.plan : `\n${file} changed but cannot run locally:\n${planned.problems.join('\n')}`;
}

/** `v1=90 v2=10 mirror v3 20%` */
function describeTraffic(plan: LocalPlan): string {
  const weights = plan.versions
    .filter((v) => v.name !== plan.mirror?.version)
    .map((v) => `${v.name}=${v.weight}`)
    .join(' ');
  return plan.mirror === null ? weights : `${weights} mirror ${plan.mirror.version} ${plan.mirror.percent}%`;
}

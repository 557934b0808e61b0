// What local mode runs for one InferenceService, as pure data: one runtime per version
// (with the same KUBEINFER_* settings the operator gives a pod) and the router's
// configuration. Pure, so the mapping is tested without starting anything.
import { mirrorOf, resolveVersions } from '../../api/index.ts';
import type { ArtifactSource, InferenceService, Pipeline, ResolvedVersion } from '../../api/index.ts';
import { buildRouterConfig, serveEnvRecord, versionServeValues, type RouterConfig } from '../../contracts/index.ts';
import { rolloutSettings, type RolloutSettings } from '../../rollout/settings.ts';

/** One version to run: its model URI and the environment of its `kubeinfer serve`. */
export interface LocalVersion {
  readonly name: string;
  readonly uri: string;
  readonly sha256?: string;
  readonly weight: number;
  /** Percent of live requests copied to this version when it is the mirror target, else 0. */
  readonly mirrorPercent: number;
  readonly env: Readonly<Record<string, string>>;
  readonly labels?: ArtifactSource;
  readonly pipeline?: Pipeline;
}

export interface LocalPlan {
  readonly model: string;
  readonly versions: readonly LocalVersion[];
  readonly mirror: RouterConfig['mirror'];
  /** spec.rollout: weight edits are walked step by step instead of applied at once. */
  readonly rollout?: RolloutSettings;
}

export type PlanResult = { readonly ok: true; readonly plan: LocalPlan } | { readonly ok: false; readonly problems: readonly string[] };

/** Plans a validated InferenceService for this machine, or says why it cannot run here. */
export function planLocalRun(service: InferenceService): PlanResult {
  const model = service.metadata.name ?? '';
  const resolved = resolveVersions(service.spec);
  const problems = resolved.flatMap((v) =>
    v.model.uri.startsWith('pvc://')
      ? [`version ${v.name}: ${v.model.uri}: pvc:// models need a cluster; in local mode use file://, http(s)://, s3:// or gs://`]
      : [],
  );
  if (model === '') problems.unshift('metadata.name: local mode needs a name (generateName is filled in by an API server)');
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    plan: {
      model,
      versions: resolved.map((v) => ({
        name: v.name,
        uri: v.model.uri,
        ...(v.model.sha256 === undefined ? {} : { sha256: v.model.sha256 }),
        weight: v.weight,
        mirrorPercent: v.mirrorPercent,
        env: runtimeEnv(v),
        ...(v.model.labels === undefined ? {} : { labels: v.model.labels }),
        ...(v.pipeline === undefined ? {} : { pipeline: v.pipeline }),
      })),
      mirror: mirrorOf(resolved) ?? null,
      ...(service.spec.rollout === undefined ? {} : { rollout: rolloutSettings(service.spec.rollout) }),
    },
  };
}

/** The runtime settings of a version as `kubeinfer serve` environment variables (DESIGN.md "Runtime pod"). */
export function runtimeEnv(version: ResolvedVersion): Record<string, string> {
  return serveEnvRecord(versionServeValues(version.runtime));
}

/** The router configuration for a plan, given where each version's runtime listens. */
export function routerConfigFor(
  plan: Pick<LocalPlan, 'model' | 'versions' | 'mirror'>,
  backends: ReadonlyMap<string, { readonly url: string; readonly grpcUrl: string }>,
): RouterConfig {
  // The plan's mirror, not one derived from the versions: a rollout's shadow replaces it.
  return buildRouterConfig(
    plan.model,
    plan.versions,
    (version) => backends.get(version) ?? { url: '', grpcUrl: '' },
    plan.mirror ?? undefined,
  );
}

/** Whether an edited manifest can be applied live: same versions, same models, same settings. */
export function sameRuntimes(a: LocalPlan, b: LocalPlan): boolean {
  const key = (plan: LocalPlan) =>
    JSON.stringify([plan.model, plan.versions.map((v) => [v.name, v.uri, v.sha256, v.env, v.labels, v.pipeline])]);
  return key(a) === key(b);
}

// Who sets a version's replica count: the Deployment itself, or an HPA.
import type { ResolvedScaling, ResolvedVersion } from '../../api/index.ts';

export type HpaScaling = Extract<ResolvedScaling, { kind: 'Autoscaled' }>;

/** The autoscaling block when an HPA should exist: it can actually scale (min < max). */
export function hpaScaling(version: ResolvedVersion): HpaScaling | undefined {
  const { scaling } = version;
  return scaling.kind === 'Autoscaled' && scaling.minReplicas < scaling.maxReplicas ? scaling : undefined;
}

/** The Deployment's spec.replicas, or undefined when an HPA owns the count. */
export function fixedReplicas(version: ResolvedVersion): number | undefined {
  const { scaling } = version;
  if (scaling.kind === 'Fixed') return scaling.replicas;
  // min == max: an HPA could never scale, so a fixed count says the same with one object less.
  return hpaScaling(version) ? undefined : scaling.maxReplicas;
}

/** Fewest available pods that still count as serving: the HPA's floor, or the fixed count. */
export function minimumAvailable(version: ResolvedVersion): number | undefined {
  return hpaScaling(version)?.minReplicas;
}

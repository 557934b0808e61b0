// Problems only the operator can see, because they depend on the cluster rather
// than on the manifest: GPUs no node offers, a credentials Secret that is
// missing or lacks the keys the model URIs need, a model only local mode can read. Each becomes a Stalled
// condition whose message says what to do. Pure: callers pass what they read.
import { redactUri, resolveVersions, type InferenceService } from '../../api/index.ts';
import { CREDENTIAL_PAIRS, CREDENTIAL_SETTINGS, REQUIRED_CREDENTIALS } from '../../contracts/index.ts';
import { GPU_MEMORY_LABEL, GPU_PRODUCT_LABEL } from '../builders/gpu.ts';
import { STORAGE_CREDENTIALS_SELECTOR } from '../builders/labels.ts';
import type { KubeObject } from '../../kube/types.ts';

/** A reason (CamelCase) and a message a person can act on. */
export interface Problem {
  readonly reason: string;
  readonly message: string;
}

interface NodeShape {
  readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
  readonly spec?: { readonly unschedulable?: boolean };
  readonly status?: { readonly allocatable?: Readonly<Record<string, string>> };
}

/** GPU placement that no node can satisfy; undefined when nodes are unknown or one fits. */
export function gpuProblem(isvc: InferenceService, nodes: readonly KubeObject[] | undefined): Problem | undefined {
  const gpu = resolveVersions(isvc.spec)[0]?.gpu;
  if (!gpu || nodes === undefined) return undefined;
  const resource = gpu.resourceName;
  const wanted = gpu.count;
  const fits = (node: NodeShape) => {
    const labels = node.metadata.labels ?? {};
    if (node.spec?.unschedulable) return false;
    if (gpu.products.length > 0 && !gpu.products.includes(labels[GPU_PRODUCT_LABEL] ?? '')) return false;
    if (gpu.memoryMiB !== undefined && !(Number(labels[GPU_MEMORY_LABEL]) >= gpu.memoryMiB)) return false;
    return Number(node.status?.allocatable?.[resource] ?? 0) >= wanted;
  };
  if ((nodes as unknown as NodeShape[]).some(fits)) return undefined;
  const offered = [
    ...new Set(
      (nodes as unknown as NodeShape[]).flatMap((node) => {
        const labels = node.metadata.labels ?? {};
        const count = Number(node.status?.allocatable?.[resource] ?? 0);
        return count > 0
          ? [`${labels[GPU_PRODUCT_LABEL] ?? 'unlabelled'} (${labels[GPU_MEMORY_LABEL] ?? '?'} MiB, ${count}x ${resource})`]
          : [];
      }),
    ),
  ];
  const asked = [
    `${wanted}x ${resource}`,
    ...(gpu.products.length > 0 ? [`product in [${gpu.products.join(', ')}]`] : []),
    ...(gpu.memoryMiB !== undefined ? [`at least ${gpu.memoryMiB} MiB`] : []),
  ].join(', ');
  const available = offered.length > 0 ? `nodes offer: ${offered.join('; ')}` : `no node has allocatable ${resource}`;
  return { reason: 'GPUUnavailable', message: `no schedulable node offers ${asked}; ${available}. Fix spec.gpu or add matching nodes.` };
}

/** A relative file:// URI names a file next to a manifest on someone's machine: only local mode can read it. */
export function localUriProblem(isvc: InferenceService): Problem | undefined {
  const local = isvc.spec.versions.flatMap((version) => {
    const steps = [...(version.pipeline?.preprocess ?? []), ...(version.pipeline?.postprocess ?? [])];
    const uris = [version.model.uri, version.model.labels?.uri, ...steps.map((step) => step.model?.uri)];
    return uris
      .filter((uri): uri is string => uri !== undefined && /^file:\/\/[^/]/.test(uri))
      .map((uri) => `version ${version.name} (${uri})`);
  });
  if (local.length === 0) return undefined;
  const named = local.join(', ');
  return {
    reason: 'InvalidSpec',
    message: `${named}: a relative file:// URI is read from the manifest's directory by \`kubeinfer run\` (local mode); no pod can read it. Use s3://, gs://, http(s):// or pvc:// in a cluster.`,
  };
}

/** The Secret named by spec.storage.secretRef as read from the API: its keys, or that it does not exist. */
export type SecretLookup =
  /** values: decoded, only so that messages copied from pods can be scrubbed of them. */
  { readonly found: true; readonly keys: readonly string[]; readonly values?: readonly string[] } | { readonly found: false };

/** The values of a Secret's entries that must never be quoted (every key but the settings, such as an endpoint or a region). */
export function secretValues(entries: readonly (readonly [string, string])[]): string[] {
  const settings: ReadonlySet<string> = new Set(CREDENTIAL_SETTINGS);
  return entries.filter(([key]) => !settings.has(key)).map(([, value]) => value);
}

/** Storage credentials problems; undefined when no Secret is referenced or it has what the URIs need. */
export function credentialsProblem(isvc: InferenceService, secret: SecretLookup | undefined): Problem | undefined {
  const secretName = isvc.spec.storage?.secretRef?.name;
  if (!secretName || secret === undefined) return undefined;
  const remote = isvc.spec.versions.filter((version) => !/^(pvc|file):\/\//.test(version.model.uri));
  if (remote.length === 0) return undefined;
  if (!secret.found) {
    return {
      reason: 'StorageSecretNotFound',
      message: `Secret ${secretName} named in spec.storage.secretRef does not exist in namespace ${isvc.metadata.namespace} or lacks the label ${STORAGE_CREDENTIALS_SELECTOR}; create it with the credentials for ${remote.map((v) => redactUri(v.model.uri)).join(', ')} and that label.`,
    };
  }
  const keys = new Set(secret.keys);
  for (const [a, b] of CREDENTIAL_PAIRS) {
    if (keys.has(a) !== keys.has(b))
      return {
        reason: 'StorageCredentialsIncomplete',
        message: `Secret ${secretName} has ${keys.has(a) ? a : b} but not ${keys.has(a) ? b : a}; add the missing key.`,
      };
  }
  for (const version of remote) {
    const scheme = version.model.uri.slice(0, version.model.uri.indexOf(':'));
    const required = REQUIRED_CREDENTIALS[scheme];
    if (required && !required.keys.every((key) => keys.has(key))) {
      return {
        reason: 'StorageCredentialsIncomplete',
        message: `version ${version.name} reads ${redactUri(version.model.uri)} but Secret ${secretName} has no ${required.hint}; add them to the Secret.`,
      };
    }
  }
  return undefined;
}

/**
 * `autoscaling.engine: keda` that this cluster cannot honour: KEDA's ScaledObject is not served
 * (`kedaServed` false), or the concurrency trigger has no Prometheus to query.
 */
export function kedaProblem(desired: readonly KubeObject[], kedaServed: boolean, prometheusUrl: string | undefined): Problem | undefined {
  const scaled = desired.filter((object) => object.kind === 'ScaledObject');
  if (scaled.length === 0) return undefined;
  const names = scaled.map((object) => object.metadata.name).join(', ');
  if (!kedaServed) {
    return {
      reason: 'KedaNotInstalled',
      message: `autoscaling.engine is keda but the API server does not serve keda.sh/v1alpha1 ScaledObjects (needed for ${names}): install KEDA, or set autoscaling.engine: hpa`,
    };
  }
  const triggers = scaled.flatMap((object) => (object.spec as { triggers?: { type?: string }[] } | undefined)?.triggers ?? []);
  const concurrency = triggers.some((trigger) => trigger.type === 'prometheus');
  if (concurrency && !prometheusUrl) {
    return {
      reason: 'KedaPrometheusUnset',
      message: `autoscaling.engine keda with metric concurrency reads Prometheus, but the operator has no --keda-prometheus-url (needed for ${names}): set it, or use metric cpu or engine hpa`,
    };
  }
  return undefined;
}

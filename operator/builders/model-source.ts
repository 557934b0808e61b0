// How a version's model reaches /mnt/models: a `pvc://` claim is mounted
// read-only (nothing to download); every other URI is fetched by the
// `fetch-model` init container into an emptyDir shared with the runtime.
import type { V1Container, V1ResourceRequirements, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { InferenceService, ModelSource } from '../../api/index.ts';
import { CREDENTIALS_DIR, MODEL_FILE, parseModelUri, pvcMount, type PvcMount } from '../../contracts/index.ts';
import { MODEL_DIR, type BuildOptions } from './options.ts';
import { containerSecurityContext } from './security.ts';

export const MODEL_VOLUME = 'model';
export const TMP_VOLUME = 'tmp';
export const CREDENTIALS_VOLUME = 'storage-credentials';
/** Every init container that runs `fetch-model` is named with this prefix; status reads their failures by it (controller/pod-failures.ts). */
export const FETCH_CONTAINER_PREFIX = 'fetch-';
/** The init container that fetches the model itself. */
export const FETCH_MODEL_CONTAINER = `${FETCH_CONTAINER_PREFIX}model`;
/**
 * Most bytes fetch-model may write, passed to it as --max-bytes and used as the model
 * volume's sizeLimit, so a runaway download is stopped by the fetcher, never by eviction.
 */
export const MODEL_FETCH_LIMIT = '20Gi';

export interface ModelDelivery {
  readonly volumes: V1Volume[];
  readonly runtimeMounts: V1VolumeMount[];
  readonly initContainers: V1Container[];
  /** KUBEINFER_MODEL_PATH for the runtime. */
  readonly modelPath: string;
}

/** Volumes, mounts and init container that put one version's model at /mnt/models. */
export function modelDelivery(
  isvc: InferenceService,
  model: ModelSource,
  resources: V1ResourceRequirements,
  options: BuildOptions,
): ModelDelivery {
  const tmp: V1Volume = { name: TMP_VOLUME, emptyDir: {} }; // the root filesystem is read-only
  const tmpMount: V1VolumeMount = { name: TMP_VOLUME, mountPath: '/tmp' };
  const claim = claimMount(model.uri);
  if (claim) {
    const claimMountPoint: V1VolumeMount = {
      name: MODEL_VOLUME,
      mountPath: MODEL_DIR,
      readOnly: true,
      ...(claim.subPath ? { subPath: claim.subPath } : {}),
    };
    // A checksum on a claim is verified in place, read-only, before the server starts: the
    // same fetch-model container name, so a mismatch surfaces in status like a failed download.
    const verify = model.sha256
      ? [fetchContainer(isvc, FETCH_MODEL_CONTAINER, [model.uri, MODEL_DIR, '--sha256', model.sha256], claimMountPoint, resources, options)]
      : [];
    return {
      volumes: [{ name: MODEL_VOLUME, persistentVolumeClaim: { claimName: claim.claimName, readOnly: true } }, tmp],
      runtimeMounts: [claimMountPoint, tmpMount],
      initContainers: verify,
      modelPath: `${MODEL_DIR}/${claim.modelFile}`,
    };
  }
  const fetchArgs = [model.uri, MODEL_DIR, '--max-bytes', MODEL_FETCH_LIMIT, ...(model.sha256 ? ['--sha256', model.sha256] : [])];
  const fetchModel = fetchContainer(
    isvc,
    FETCH_MODEL_CONTAINER,
    fetchArgs,
    { name: MODEL_VOLUME, mountPath: MODEL_DIR },
    resources,
    options,
  );
  return {
    volumes: [{ name: MODEL_VOLUME, emptyDir: { sizeLimit: MODEL_FETCH_LIMIT } }, tmp, ...credentialsVolumes(isvc)],
    runtimeMounts: [{ name: MODEL_VOLUME, mountPath: MODEL_DIR, readOnly: true }, tmpMount],
    initContainers: [fetchModel],
    modelPath: `${MODEL_DIR}/${MODEL_FILE}`,
  };
}

/**
 * Where a pvc:// model is mounted; undefined for any other URI. A pvc:// URI the contract
 * refuses never gets here: the operator stalls such a spec first (controller/spec.ts).
 */
export function claimMount(uri: string): PvcMount | undefined {
  const source = parseModelUri(uri);
  return source.ok && source.value.scheme === 'pvc' ? pvcMount(source.value) : undefined;
}

/** The Secret volume fetch-model reads credentials from, when spec.storage.secretRef is set. */
export function credentialsVolumes(isvc: InferenceService): V1Volume[] {
  const secretName = isvc.spec.storage?.secretRef?.name;
  return secretName ? [{ name: CREDENTIALS_VOLUME, secret: { secretName, defaultMode: 0o440 } }] : [];
}

/** A `fetch-model` init container writing into `target`, with the storage credentials mounted. */
export function fetchContainer(
  isvc: InferenceService,
  name: string,
  args: readonly string[],
  target: V1VolumeMount,
  resources: V1ResourceRequirements,
  options: BuildOptions,
): V1Container {
  const secretName = isvc.spec.storage?.secretRef?.name;
  return {
    name,
    image: options.runtimeImage,
    ...(options.imagePullPolicy ? { imagePullPolicy: options.imagePullPolicy } : {}),
    args: ['fetch-model', ...args],
    resources: withoutExtendedResources(resources),
    securityContext: containerSecurityContext(),
    volumeMounts: [
      target,
      { name: TMP_VOLUME, mountPath: '/tmp' },
      ...(secretName ? [{ name: CREDENTIALS_VOLUME, mountPath: CREDENTIALS_DIR, readOnly: true }] : []),
    ],
  };
}

// The download needs CPU and memory like the server but never a GPU or other
// device: only the server container gets those.
function withoutExtendedResources(resources: V1ResourceRequirements): V1ResourceRequirements {
  const keep = (list: Record<string, string> | undefined) =>
    list
      ? Object.fromEntries(Object.entries(list).filter(([name]) => name === 'cpu' || name === 'memory' || name === 'ephemeral-storage'))
      : undefined;
  const requests = keep(resources.requests);
  const limits = keep(resources.limits);
  return {
    ...(requests && Object.keys(requests).length > 0 ? { requests } : {}),
    ...(limits && Object.keys(limits).length > 0 ? { limits } : {}),
  };
}

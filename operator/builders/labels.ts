// Labels and annotation keys on every object kubeinfer creates. Selectors use
// only the kubeinfer labels, which never change for the life of an object
// (a Deployment's selector is immutable).
import type { InferenceService } from '../../api/index.ts';

export const LABEL_ISVC = 'serving.kubeinfer.io/inferenceservice';
export const LABEL_VERSION = 'serving.kubeinfer.io/version';
export const LABEL_COMPONENT = 'serving.kubeinfer.io/component';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'kubeinfer-operator';
/** Hash of the applied configuration; a changed spec changes it, see controller/drift.ts. */
export const ANNOTATION_APPLIED_HASH = 'serving.kubeinfer.io/applied-hash';

export type Component = 'model' | 'router';

/**
 * A Secret opts in to being named by `spec.storage.secretRef` with this label set to "true".
 * Without it, anyone who may create an InferenceService could have the operator mount any
 * Secret of the namespace into fetch-model and send it to a URL of their choosing.
 */
export const LABEL_STORAGE_CREDENTIALS = 'serving.kubeinfer.io/storage-credentials';
export const STORAGE_CREDENTIALS_SELECTOR = `${LABEL_STORAGE_CREDENTIALS}=true`;

/** Selector of every object the operator manages (the informers' label selector). */
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;

/** Pod selector of one version's Deployment and Service. */
export function modelSelector(isvc: InferenceService, version: string): Record<string, string> {
  return { [LABEL_ISVC]: nameOf(isvc), [LABEL_COMPONENT]: 'model', [LABEL_VERSION]: version };
}

/** Pod selector of the router Deployment and the stable Service. */
export function routerSelector(isvc: InferenceService): Record<string, string> {
  return { [LABEL_ISVC]: nameOf(isvc), [LABEL_COMPONENT]: 'router' };
}

/** Full label set: app.kubernetes.io/* recommended labels plus the selector labels. */
export function standardLabels(isvc: InferenceService, component: Component, version?: string): Record<string, string> {
  const name = nameOf(isvc);
  const selector = component === 'model' && version !== undefined ? modelSelector(isvc, version) : routerSelector(isvc);
  return {
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/instance': version !== undefined ? `${name}-${version}` : `${name}-router`,
    'app.kubernetes.io/component': component,
    ...(version !== undefined ? { 'app.kubernetes.io/version': version } : {}),
    'app.kubernetes.io/part-of': 'kubeinfer',
    [LABEL_MANAGED_BY]: MANAGED_BY,
    ...selector,
  };
}

/** Pod annotations that let a stock Prometheus scrape config find the metrics endpoint. */
export function scrapeAnnotations(port: number): Record<string, string> {
  return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' };
}

function nameOf(isvc: InferenceService): string {
  return isvc.metadata.name ?? '';
}

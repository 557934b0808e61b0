// Object names derived from an InferenceService. Pure string functions so the
// CLI, the status code and the builders can never disagree.

/** Deployment, Service and HPA of one version: `<isvc>-<version>`. */
export function versionObjectName(isvcName: string, version: string): string {
  return `${isvcName}-${version}`;
}

/** Router Deployment, its ConfigMap, ServiceAccount, Role and RoleBinding: `<isvc>-router`. */
export function routerObjectName(isvcName: string): string {
  return `${isvcName}-router`;
}

/** The stable Service in front of the router: the InferenceService's own name. */
export function routerServiceName(isvcName: string): string {
  return isvcName;
}

/** In-namespace URL of one version's Service, as the router dials it. */
export function versionServiceUrl(isvcName: string, namespace: string, version: string, port: number): string {
  return `http://${versionObjectName(isvcName, version)}.${namespace}.svc:${port}`;
}

/** The InferenceService's stable URL (status.url). */
export function inferenceServiceUrl(isvcName: string, namespace: string, clusterDomain: string): string {
  return `http://${routerServiceName(isvcName)}.${namespace}.svc.${clusterDomain}`;
}

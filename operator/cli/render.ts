// `kubeinfer render -f <file>`: the exact objects the operator would apply,
// from the same pure builders, as multi-document YAML for review in pull
// requests. Owner references are left out: they need the uid the cluster
// assigns, and the applied-hash annotation does not depend on them.
import { stringify } from 'yaml';
import { formatProblem, loadInferenceServices, readManifestSources, type InferenceService } from '../../api/index.ts';
import { desiredObjects, type BuildOptions } from '../builders/index.ts';
import type { ImagePullPolicy } from '../builders/options.ts';
import type { KubeObject } from '../../kube/types.ts';

export interface RenderFlags {
  readonly filename: readonly string[];
  readonly recursive: boolean;
  readonly runtimeImage: string;
  readonly imagePullPolicy?: ImagePullPolicy;
  readonly kedaPrometheusUrl?: string;
  readonly namespace: string;
}

/** Objects for one InferenceService as the operator builds them, without owner references. */
export function renderObjects(isvc: InferenceService, options: BuildOptions, defaultNamespace: string): KubeObject[] {
  const placed: InferenceService = { ...isvc, metadata: { ...isvc.metadata, namespace: isvc.metadata.namespace ?? defaultNamespace } };
  return desiredObjects(placed, options).map((object) => {
    const { ownerReferences: _owner, ...metadata } = object.metadata;
    return { ...object, metadata };
  });
}

/** YAML stream of every rendered object, each document headed by what it belongs to. */
export function renderYaml(services: readonly InferenceService[], options: BuildOptions, defaultNamespace: string): string {
  const documents: string[] = [];
  for (const isvc of services) {
    for (const object of renderObjects(isvc, options, defaultNamespace)) {
      const header = `# ${object.kind} ${object.metadata.namespace}/${object.metadata.name} (InferenceService ${isvc.metadata.name}; ownerReferences added at apply time)`;
      documents.push(`${header}\n${stringify(object, { lineWidth: 0 })}`);
    }
  }
  return documents.map((document) => `---\n${document}`).join('');
}

/** Exit codes: 0 rendered, 1 invalid manifests, 2 unreadable input. */
export async function renderCommand(flags: RenderFlags): Promise<number> {
  const read = await readManifestSources(flags.filename, { recursive: flags.recursive });
  if (!read.ok) {
    process.stderr.write(`error: ${read.error}\n`);
    return 2;
  }
  const services: InferenceService[] = [];
  let failed = false;
  for (const source of read.sources) {
    const loaded = loadInferenceServices(source.text);
    if (!loaded.ok) {
      failed = true;
      for (const problem of loaded.problems) process.stderr.write(`${formatProblem({ file: source.name, ...problem })}\n`);
      continue;
    }
    services.push(...loaded.services);
  }
  if (failed) return 1;
  if (services.length === 0) {
    process.stderr.write('error: no InferenceService found in the input\n');
    return 1;
  }
  const options = { runtimeImage: flags.runtimeImage, imagePullPolicy: flags.imagePullPolicy, kedaPrometheusUrl: flags.kedaPrometheusUrl };
  process.stdout.write(renderYaml(services, options, flags.namespace));
  return 0;
}

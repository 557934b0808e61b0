import { startControlPlane } from './test/cluster/index.ts';
const cp = await startControlPlane();
try {
  await cp.kubectl(['apply', '--server-side', '-f', 'crds/serving.kubeinfer.io_inferenceservices.yaml']);
  await cp.kubectl(['wait', '--for=condition=Established', 'crd/inferenceservices.serving.kubeinfer.io', '--timeout=30s']);
  for (const f of ['weight-string', 'quantity-invalid', 'versions-nine', 'uri-scheme', 'metric-unknown', 'versions-empty', 'name-digit-first', 'gpu-mig-format', 'version-name-uppercase'])
    console.log((await cp.kubectl(['create', '--dry-run=server', '-n', 'default', '-f', `test/api/corpus/bad/${f}.yaml`])).stderr);
  const long = `apiVersion: serving.kubeinfer.io/v1alpha1\nkind: InferenceService\nmetadata: {name: x}\nspec:\n  versions:\n  - name: ${'a'.repeat(60)}\n    model: {uri: "s3://a/b"}\n  scheduling: {nodeSelector: {${Array.from({length: 33}, (_, i) => `k${i}: v`).join(', ')}}}\n`;
  console.log((await cp.kubectl(['create', '--dry-run=server', '-n', 'default', '-f', '-'], { input: long })).stderr);
} finally { await cp.stop(); }

// Status on a real node (containerd, kubelet): what the kubelet and kubeinfer's own
// containers really report for a model URI that returns 404, credentials the server
// refuses, a file that is not ONNX, and a runtime image the node does not have (pull
// policy Never). Each turns the InferenceService Stalled with its reason and the real
// error, and no secret reaches status or Events.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InferenceService } from '../../api/index.ts';
import { addModel } from '../../tools/onnx/models.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import { RUNTIME_IMAGE } from '../../tools/cluster/index.ts';
import { startHttpServer, type Running } from '../../tools/storage/servers.ts';
import { CHART_DIR } from '../ship/helm.ts';
import { useChartCluster } from '../ship/chart-fixture.ts';
import { installChart, OPERATOR_NS } from './client.ts';

const NS = 'failing';
const TOKEN = 'real-node-s3cr3t-token';
const MODEL = addModel({ scale: 2, offset: 1, features: 1 });

let models: Running | undefined;
const cluster = useChartCluster({
  namespaces: [NS],
  controlPlane: { realNode: true, readyTimeoutMs: 300_000 },
  onStop: () => models?.stop(),
});
const hostIp = () => cluster.cp.hostIp ?? assert.fail('the control plane has no real node');

describe('status on a real node', () => {
  before(async () => {
    models = await startHttpServer((req, res) => {
      // Starts like a ModelProto (ir_version, then a graph field), so fetch-model publishes it; the graph is garbage.
      if (req.url === '/not-onnx.onnx') return void res.writeHead(200).end(Buffer.from([0x08, 0x07, 0x3a, 0x04, 0xff, 0xff, 0xff, 0xff]));
      if (req.url === '/private.onnx') {
        const sent = (req.headers.authorization ?? '').replace(/^Bearer /, '');
        // A careless server that quotes the token it refused: the operator must not pass it on.
        return void (sent === 'the-right-token' ? res.writeHead(200).end(MODEL) : res.writeHead(401).end(`invalid bearer token ${sent}`));
      }
      res.writeHead(404).end('no such model');
    }, hostIp());
    await installChart(cluster);
    await cluster.kubectlOk(['create', 'secret', 'generic', 'http-models', '-n', NS, `--from-literal=HTTP_BEARER_TOKEN=${TOKEN}`]);
    await cluster.kubectlOk(['label', 'secret', 'http-models', '-n', NS, 'serving.kubeinfer.io/storage-credentials=true']);
  });

  async function apply(name: string, uri: string, extra: object = {}): Promise<void> {
    await cluster.kubectlOk(
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'serving.kubeinfer.io/v1alpha1',
        kind: 'InferenceService',
        metadata: { name, namespace: NS },
        spec: {
          versions: [{ name: 'v1', model: { uri } }],
          resources: { requests: { cpu: '50m', memory: '96Mi' } },
          router: { resources: { requests: { cpu: '20m', memory: '48Mi' } } },
          ...extra,
        },
      }),
    );
  }

  /** The Stalled condition once it has this reason, and the version's own message. */
  async function stalled(name: string, reason: string): Promise<{ message: string; version: string }> {
    return eventually(
      async () => {
        const isvc = JSON.parse(await cluster.kubectlOk(['get', 'inferenceservice', name, '-n', NS, '-o', 'json'])) as InferenceService;
        const condition = isvc.status?.conditions?.find((entry) => entry.type === 'Stalled');
        return condition?.status === 'True' && condition.reason === reason
          ? { message: condition.message, version: isvc.status?.versions?.[0]?.message ?? '' }
          : undefined;
      },
      `${name} Stalled with ${reason}`,
      180_000,
    );
  }

  test('a model URI that returns 404: ModelFetchFailed with the HTTP error from the real init container', async (t) => {
    await apply('missing', `${models!.url}/missing.onnx`);
    const { version } = await stalled('missing', 'ModelFetchFailed');
    t.diagnostic(version); // the real words, for whoever reads the run
    assert.match(version, /init container fetch-model, \d+ failed attempts?\): fetch http:\/\/\S+\/missing\.onnx: .*404/);
  });

  test('credentials over plain http: ModelFetchFailed naming the credential, never its value', async (t) => {
    await apply('private', `${models!.url}/private.onnx`, { storage: { secretRef: { name: 'http-models' } } });
    const { version } = await stalled('private', 'ModelFetchFailed');
    t.diagnostic(version); // the real words, for whoever reads the run
    // fetch-model never sends a bearer token over http:// (only --allow-plain-http-credentials would).
    assert.match(version, /refusing to send .*HTTP_BEARER_TOKEN.* over plain http/);
    const everything =
      (await cluster.kubectlOk(['get', 'inferenceservice', 'private', '-n', NS, '-o', 'json'])) +
      (await cluster.kubectlOk(['get', 'events', '-n', NS, '-o', 'json']));
    assert.ok(!everything.includes(TOKEN), 'the token never reaches status or Events');
  });

  test("a file that is not ONNX: ModelLoadFailed with the runtime's own error", async (t) => {
    await apply('garbage', `${models!.url}/not-onnx.onnx`);
    const { version } = await stalled('garbage', 'ModelLoadFailed');
    t.diagnostic(version); // the real words, for whoever reads the run
    assert.match(
      version,
      /container runtime, \d+ failed attempts?\): model 'garbage' failed to load: .*(Protobuf parsing failed|invalid)/i,
    );
  });

  test('a runtime image the node does not have, pull policy Never: ImagePullFailed with the kubelet message', async (t) => {
    await cluster.helmOk([
      'upgrade',
      'kubeinfer',
      CHART_DIR,
      '-n',
      OPERATOR_NS,
      '--reuse-values',
      '--set',
      `runtime.image=${RUNTIME_IMAGE.split(':')[0]}:absent`,
      '--wait',
      '--timeout',
      '180s',
    ]);
    await apply('noimage', `${models!.url}/missing.onnx`);
    // The router runs the same image, and its failure may be reported before the version's.
    const version = await eventually(
      async () => {
        const seen = (await stalled('noimage', 'ImagePullFailed')).version;
        return /ErrImageNeverPull/.test(seen) ? seen : undefined;
      },
      'version v1 failing to pull',
      120_000,
    );
    t.diagnostic(version); // the real words, for whoever reads the run
    assert.match(version, /ErrImageNeverPull.*:absent/);
  });
});

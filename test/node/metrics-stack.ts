// The custom-metrics path of a cluster, run as host processes next to the real node:
// Prometheus (Kubernetes pod discovery, scraping every kubeinfer model pod at its IP) and
// prometheus-adapter serving custom.metrics.k8s.io from the chart's rules. The apiserver
// reaches the adapter through an APIService whose Service points at the host's bridge address.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LABEL_COMPONENT } from '../../operator/builders/labels.ts';
import { assetPath } from '../../tools/cluster/assets.ts';
import { eventually } from '../../tools/cluster/eventually.ts';
import { freePort } from '../../tools/cluster/index.ts';
import type { ChartCluster } from '../ship/chart-fixture.ts';

/** Where the adapter's APIService, Service and Endpoints live. */
export const ADAPTER_NAMESPACE = 'monitoring';
const ADAPTER_SERVICE = 'prometheus-adapter';
const CUSTOM_METRICS_VERSIONS = ['v1beta1', 'v1beta2'];

export interface MetricsStack {
  readonly prometheusUrl: string;
  /** Both processes' output, for a failing test's message. */
  readonly logDir: string;
  stop(): Promise<void>;
}

// Every pod of an InferenceService version (the model component), at its `http` port; the
// namespace and pod target labels are the ones the chart's adapter rules expect by default.
function prometheusConfig(kubeconfig: string): string {
  return JSON.stringify({
    global: { scrape_interval: '2s', scrape_timeout: '1s' },
    scrape_configs: [
      {
        job_name: 'kubeinfer-models',
        kubernetes_sd_configs: [{ role: 'pod', kubeconfig_file: kubeconfig }],
        relabel_configs: [
          { source_labels: [`__meta_kubernetes_pod_label_${LABEL_COMPONENT.replace(/[./-]/g, '_')}`], regex: 'model', action: 'keep' },
          { source_labels: ['__meta_kubernetes_pod_container_port_name'], regex: 'http', action: 'keep' },
          { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
          { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
        ],
      },
    ],
  });
}

function startProcess(binary: string, args: readonly string[], logPath: string): ChildProcess {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logPath);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return child;
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await once(child, 'exit');
  clearTimeout(timer);
}

/** The APIServices, and a selector-less Service whose Endpoints are the adapter on the host. */
function adapterRegistration(hostIp: string, port: number): object[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: ADAPTER_SERVICE, namespace: ADAPTER_NAMESPACE },
      spec: { ports: [{ port: 443, targetPort: port }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: ADAPTER_SERVICE, namespace: ADAPTER_NAMESPACE },
      subsets: [{ addresses: [{ ip: hostIp }], ports: [{ port }] }],
    },
    ...CUSTOM_METRICS_VERSIONS.map((version) => ({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: `${version}.custom.metrics.k8s.io` },
      spec: {
        group: 'custom.metrics.k8s.io',
        version,
        service: { name: ADAPTER_SERVICE, namespace: ADAPTER_NAMESPACE, port: 443 },
        // The adapter serves a self-signed certificate it made at start.
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: version === 'v1beta2' ? 200 : 100,
      },
    })),
  ];
}

/** Starts Prometheus and the adapter (with `adapterConfig`, the chart's rules) and registers the adapter; resolves once the APIService is Available. */
export async function startMetricsStack(cluster: ChartCluster, adapterConfig: string): Promise<MetricsStack> {
  const { cp } = cluster;
  const hostIp = cp.hostIp ?? '';
  // In the control plane's dir: kept with its logs when KUBEINFER_KEEP_CLUSTER_DIR=1.
  const logDir = join(cp.dir, 'metrics-stack');
  mkdirSync(join(logDir, 'tsdb'), { recursive: true });
  writeFileSync(join(logDir, 'prometheus.yml'), prometheusConfig(cp.kubeconfigPath));
  writeFileSync(join(logDir, 'adapter.yaml'), adapterConfig);
  const [prometheusPort, adapterPort] = [await freePort(), await freePort()];
  const prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
  const prometheus = startProcess(
    await assetPath('prometheus'),
    [
      `--config.file=${join(logDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(logDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${prometheusPort}`,
    ],
    join(logDir, 'prometheus.log'),
  );
  const adapter = startProcess(
    await assetPath('prometheus-adapter'),
    [
      `--prometheus-url=${prometheusUrl}`,
      `--config=${join(logDir, 'adapter.yaml')}`,
      `--secure-port=${adapterPort}`,
      `--cert-dir=${join(logDir, 'certs')}`,
      `--lister-kubeconfig=${cp.kubeconfigPath}`,
      `--authentication-kubeconfig=${cp.kubeconfigPath}`,
      `--authorization-kubeconfig=${cp.kubeconfigPath}`,
      // Rediscover series every few seconds: new pods' series must show up while the test waits.
      '--metrics-relist-interval=5s',
      '--v=2',
    ],
    join(logDir, 'adapter.log'),
  );
  const stop = async () => {
    await Promise.all([stopProcess(adapter), stopProcess(prometheus)]);
  };
  try {
    await cluster.kubectlOk(
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: adapterRegistration(hostIp, adapterPort) }),
    );
    await eventually(
      async () => ((await cp.kubectl(['get', '--raw', '/apis/custom.metrics.k8s.io/v1beta1'])).code === 0 ? true : undefined),
      `custom.metrics.k8s.io served by the adapter (logs in ${logDir})`,
      120_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { prometheusUrl, logDir, stop };
}

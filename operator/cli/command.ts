// `kubeinfer operator | render | status | promote | rollback | rollout`. Registration
// stays light: each action imports its implementation (and client-node) on use.
import { Argument, Option, type Command } from 'commander';
import { manifestSourceOptions } from '../../api/command.ts';
import { DEFAULT_CLUSTER_DOMAIN, type ImagePullPolicy } from '../builders/options.ts';
import { OTLP_ENDPOINT } from '../../contracts/index.ts';
import type { OperatorFlags } from './operator.ts';
import type { RenderFlags } from './render.ts';
import type { ClusterFlags } from './cluster.ts';
import type { StatusFlags } from './status.ts';
import type { TopFlags } from './top.ts';
import type { TrafficFlags } from './traffic.ts';
import type { RolloutVerb } from './rollout.ts';

const ROLLOUT_VERBS: readonly RolloutVerb[] = ['status', 'pause', 'resume', 'abort', 'promote-full'];
const list = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
const PULL_POLICIES: readonly ImagePullPolicy[] = ['Always', 'IfNotPresent', 'Never'];
// kubectl's spelling of the two flags every cluster-reading command shares.
const namespaceOption = () => new Option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context namespace)');
const kubeconfigOption = () => new Option('--kubeconfig <path>', 'kubeconfig (default: $KUBECONFIG, ~/.kube/config, then in-cluster)');

/** Registers the operator-side commands: operator, render, status, promote, rollback, rollout. */
export function registerOperatorCommands(program: Command): void {
  registerOperator(program);
  registerRender(program);
  registerStatus(program);
  registerTop(program);
  registerTraffic(program);
  registerRollout(program);
}

function registerRollout(program: Command): void {
  program
    .command('rollout')
    .description('Show or steer a rollout (spec.rollout) without touching the spec: status, pause, resume, abort, promote-full.')
    .addArgument(new Argument('<verb>', 'what to do').choices(ROLLOUT_VERBS))
    .argument('<name>', 'the InferenceService')
    .addOption(namespaceOption())
    .addOption(kubeconfigOption())
    .action(async (verb: RolloutVerb, name: string, flags: ClusterFlags) => {
      const { rolloutCommand } = await import('./rollout.ts');
      process.exitCode = await rolloutCommand(verb, name, flags);
    });
}

function registerOperator(program: Command): void {
  program
    .command('operator')
    .description('Run the controller that reconciles InferenceServices into Deployments, Services, HPAs and a router.')
    .addOption(
      new Option('--runtime-image <image>', 'image with the kubeinfer CLI, run as serve, route and fetch-model')
        .env('KUBEINFER_RUNTIME_IMAGE')
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--image-pull-policy <policy>', 'imagePullPolicy of every container')
        .choices(PULL_POLICIES)
        .env('KUBEINFER_IMAGE_PULL_POLICY'),
    )
    .addOption(
      new Option('--image-pull-secrets <names>', 'comma-separated Secrets for pulling the runtime image')
        .env('KUBEINFER_IMAGE_PULL_SECRETS')
        .argParser(list),
    )
    .addOption(
      new Option('--watch-namespaces <names>', 'comma-separated namespaces to watch (default: all)')
        .env('KUBEINFER_WATCH_NAMESPACES')
        .argParser(list),
    )
    .addOption(
      new Option(
        '--router-reviewers-binding <name>',
        'ClusterRoleBinding (to the ClusterRole of the same name) that the operator keeps listing the routers of spec.auth.mode kubernetes',
      ).env('KUBEINFER_ROUTER_REVIEWERS_BINDING'),
    )
    .addOption(
      new Option('--metrics-port <port>', 'port of /metrics (also answers /healthz and /readyz)')
        .env('KUBEINFER_METRICS_PORT')
        .default('8080'),
    )
    .addOption(new Option('--health-port <port>', 'port of /healthz and /readyz only').env('KUBEINFER_HEALTH_PORT').default('8081'))
    .addOption(
      new Option('--bind-address <address>', 'address the metrics and health ports listen on')
        .env('KUBEINFER_BIND_ADDRESS')
        .default('0.0.0.0'),
    )
    .addOption(
      new Option('--leader-elect', 'elect a leader through a Lease so several replicas can run')
        .env('KUBEINFER_LEADER_ELECT')
        .default(false),
    )
    .addOption(
      new Option('--leader-election-namespace <ns>', 'namespace of the Lease (default: $POD_NAMESPACE, then the in-cluster namespace)').env(
        'KUBEINFER_LEADER_ELECTION_NAMESPACE',
      ),
    )
    .addOption(
      new Option('--leader-election-id <name>', 'name of the Lease').env('KUBEINFER_LEADER_ELECTION_ID').default('kubeinfer-operator'),
    )
    .addOption(
      new Option(
        '--leader-election-lease-seconds <s>',
        'how long a leader that stops renewing keeps the Lease (a clean stop releases it at once)',
      )
        .env('KUBEINFER_LEADER_ELECTION_LEASE_SECONDS')
        .default('15'),
    )
    .addOption(new Option('--workers <n>', 'InferenceServices reconciled concurrently').env('KUBEINFER_OPERATOR_WORKERS').default('4'))
    .addOption(
      new Option('--resync-seconds <s>', 'reconcile everything this often even without events')
        .env('KUBEINFER_RESYNC_SECONDS')
        .default('600'),
    )
    .addOption(
      new Option('--cluster-domain <domain>', 'cluster DNS suffix used in status.url')
        .env('KUBEINFER_CLUSTER_DOMAIN')
        .default(DEFAULT_CLUSTER_DOMAIN),
    )
    .addOption(
      new Option(
        `--${OTLP_ENDPOINT.flag} <url>`,
        'OTLP/HTTP collector that every runtime and router pod sends trace spans to (unset: tracing off)',
      ).env(OTLP_ENDPOINT.env),
    )
    .addOption(
      new Option(
        '--keda-prometheus-url <url>',
        'Prometheus that KEDA ScaledObjects query for the concurrency metric (autoscaling.engine: keda)',
      ).env('KUBEINFER_KEDA_PROMETHEUS_URL'),
    )
    .addOption(kubeconfigOption())
    .action(async (flags: OperatorFlags) => {
      const { runOperatorCommand } = await import('./operator.ts');
      process.exitCode = await runOperatorCommand(flags);
    });
}

function registerRender(program: Command): void {
  const render = program
    .command('render')
    .description('Print the objects the operator would apply for InferenceService manifests (YAML), for review.');
  manifestSourceOptions(render)
    .addOption(
      new Option('--runtime-image <image>', 'runtime image, as the operator is configured')
        .env('KUBEINFER_RUNTIME_IMAGE')
        .default('ghcr.io/kubeinfer/kubeinfer:0.1.0'),
    )
    .addOption(new Option('--image-pull-policy <policy>', 'imagePullPolicy, as the operator is configured').choices(PULL_POLICIES))
    .addOption(
      new Option('--keda-prometheus-url <url>', 'Prometheus of KEDA ScaledObjects, as the operator is configured').env(
        'KUBEINFER_KEDA_PROMETHEUS_URL',
      ),
    )
    .option('-n, --namespace <ns>', 'namespace for manifests that name none', 'default')
    .action(async (flags: RenderFlags) => {
      const { renderCommand } = await import('./render.ts');
      process.exitCode = await renderCommand(flags);
    });
}

function registerStatus(program: Command): void {
  program
    .command('status <name>')
    .description("Show an InferenceService's readiness, URL, versions, weights and replicas.")
    .addOption(namespaceOption())
    .option('-o, --output <format>', 'text, json or yaml', 'text')
    .addOption(kubeconfigOption())
    .action(async (name: string, flags: StatusFlags) => {
      const { statusCommand } = await import('./status.ts');
      process.exitCode = await statusCommand(name, flags);
    });
}

function registerTop(program: Command): void {
  program
    .command('top [name]')
    .description(
      "Live figures per version from an InferenceService's routers: request and error rates, p99, weight declared vs served, replicas.",
    )
    .addOption(namespaceOption())
    .addOption(kubeconfigOption())
    .option('--url <router>', 'read one router directly instead (local mode: the URL `kubeinfer run` prints)')
    .option('-i, --interval <seconds>', 'seconds between reads (each view covers one interval)', '2')
    .option('--once', 'print one interval and exit, for scripts', false)
    .action(async (name: string | undefined, flags: TopFlags) => {
      const { topCommand } = await import('./top.ts');
      process.exitCode = await topCommand(name, flags);
    });
}

function registerTraffic(program: Command): void {
  for (const [verb, description] of [
    ['promote', 'Shift all traffic to one version: set its weight to 100 and the others to 0 in the spec.'],
    ['rollback', 'Send all traffic back to one version: set its weight to 100 and the others to 0 in the spec.'],
  ] as const) {
    program
      .command(`${verb} <name> <version>`)
      .description(`${description} Prints the equivalent kubectl patch; in GitOps, make the same edit in git instead.`)
      .addOption(namespaceOption())
      .option('--dry-run', 'print the patch and the kubectl command without changing anything', false)
      .addOption(kubeconfigOption())
      .action(async (name: string, version: string, flags: TrafficFlags) => {
        const { trafficCommand } = await import('./traffic.ts');
        process.exitCode = await trafficCommand(verb, name, version, flags);
      });
  }
}

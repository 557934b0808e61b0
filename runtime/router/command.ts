import { Option } from 'commander';
import type { Command } from 'commander';
import type { RouteCommandFlags } from './main.ts';
import { OTLP_ENDPOINT } from '../../contracts/index.ts';
import { ROUTER_NUMBER_FLAGS } from './settings.ts';

/** Registers `kubeinfer route`. */
export function registerRoute(program: Command): void {
  const command = program
    .command('route')
    .description('Route traffic for one model across its versions by weight, with pinning and mirroring.')
    .addOption(
      new Option('--config-file <path>', 'router configuration JSON, watched on disk (local mode)')
        .env('KUBEINFER_ROUTER_CONFIG_FILE')
        .conflicts('configmap'),
    )
    .addOption(
      new Option('--configmap <namespace/name>', 'ConfigMap holding router.json, watched through the Kubernetes API').env(
        'KUBEINFER_ROUTER_CONFIGMAP',
      ),
    )
    .addOption(new Option('--kubeconfig <path>', 'kubeconfig for --configmap (default: $KUBECONFIG, ~/.kube/config, then in-cluster)'))
    .addOption(new Option('--port <port>', 'port to listen on').env('KUBEINFER_PORT').default('8080'))
    .addOption(
      new Option('--grpc-port <port>', 'port of the gRPC (h2c) listener; 0 turns it off').env('KUBEINFER_GRPC_PORT').default('8081'),
    )
    .addOption(new Option('--host <address>', 'address to listen on').env('KUBEINFER_HOST').default('0.0.0.0'))
    .addOption(
      new Option(
        '--api-keys-file <path>',
        'require an API key: a file with one key per line (# comments), or a mounted Secret directory (one key per file)',
      )
        .env('KUBEINFER_API_KEYS_FILE')
        .conflicts('authKubernetes'),
    )
    .addOption(
      new Option(
        '--auth-kubernetes <namespace/name>',
        'require a Kubernetes token allowed (RBAC) to infer on this InferenceService; pin for weight-0 versions',
      ).env('KUBEINFER_AUTH_KUBERNETES'),
    )
    .addOption(
      new Option(
        '--auth-cache-ttl-ms <ms>',
        'how long token reviews and access decisions are reused (0: ask the apiserver on every request)',
      )
        .env('KUBEINFER_AUTH_CACHE_TTL_MS')
        .default('10000'),
    )
    .addOption(
      new Option('--protect-metrics', 'require the same credentials for /metrics (Kubernetes: get on the non-resource URL /metrics)').env(
        'KUBEINFER_PROTECT_METRICS',
      ),
    )
    .addOption(
      new Option('--audit', 'log one JSON audit line per inference request (always on with authentication)').env('KUBEINFER_AUDIT'),
    )
    .addOption(new Option(`--${OTLP_ENDPOINT.flag} <url>`, OTLP_ENDPOINT.description).env(OTLP_ENDPOINT.env));
  for (const entry of ROUTER_NUMBER_FLAGS) {
    command.addOption(new Option(`--${entry.flag} <n>`, entry.description).env(entry.env).default(String(entry.default)));
  }
  command.action(async (flags: RouteCommandFlags) => {
    const { runRouteCommand } = await import('./main.ts');
    process.exitCode = await runRouteCommand(flags);
  });
}

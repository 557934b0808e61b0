// A real data plane on loopback for rollout tests on fake (kwok) nodes: real runtimes
// serving ONNX models, and a real router that follows the operator's ConfigMap through
// the apiserver (its in-cluster Service URLs swapped for the local runtimes'). The
// operator reads this router's figures in place of the kwok router pods'.
import type { TestContext } from 'node:test';
import type { RouterConfig } from '../../contracts/index.ts';
import { startRouter, type Router } from '../../runtime/router/index.ts';
import { watchConfigMap } from '../../runtime/router/source-configmap.ts';
import type { ControlPlane } from '../../tools/cluster/index.ts';
import { send } from '../router/support.ts';

export interface LocalDataPlane {
  readonly router: Router;
  /** Every traffic split the router applied, in order, e.g. `v1=80,v2=20 mirror=v2:100`. */
  readonly splits: string[];
}

/** Starts a router watching `<name>-router` in `namespace`, sending version `v` to `backends[v]`. */
export async function localDataPlane(
  t: TestContext,
  cp: ControlPlane,
  namespace: string,
  name: string,
  backends: Readonly<Record<string, string>>,
): Promise<LocalDataPlane> {
  const router = await startRouter({ host: '127.0.0.1', port: 0 });
  const splits: string[] = [];
  const local = (config: RouterConfig): RouterConfig => ({
    ...config,
    versions: config.versions.map((v) => ({ ...v, url: backends[v.name]! })),
  });
  const watch = watchConfigMap(
    { kubeConfig: cp.kubeConfig(), namespace, name: `${name}-router` },
    {
      apply(config) {
        const split = `${config.versions.map((v) => `${v.name}=${v.weight}`).join(',')}${config.mirror ? ` mirror=${config.mirror.version}:${config.mirror.percent}` : ''}`;
        if (splits.at(-1) !== split) splits.push(split);
        router.apply(local(config));
      },
      reject: (problems) => router.reject(problems),
    },
  );
  t.after(async () => {
    await watch.stop();
    await router.close(0);
  });
  return { router, splits };
}

export interface Load {
  /** Stops sending; resolves with what clients saw. */
  stop(): Promise<{
    readonly sent: number;
    readonly failed: number;
    readonly failures: Readonly<Record<string, number>>;
    readonly byVersion: Readonly<Record<string, number>>;
  }>;
}

/** Inference requests to `url` from `concurrency` clients until stopped. */
export function keepSending(url: string, body: string, concurrency = 2): Load {
  let running = true;
  let sent = 0;
  let failed = 0;
  const byVersion: Record<string, number> = {};
  const failures: Record<string, number> = {};
  const fail = (why: string) => {
    failed += 1;
    failures[why] = (failures[why] ?? 0) + 1;
  };
  const client = async () => {
    while (running) {
      const answer = await send(url, { body, headers: { 'content-type': 'application/json' } }).catch(
        (error: NodeJS.ErrnoException) => error.code ?? error.message,
      );
      sent += 1;
      if (typeof answer === 'string') fail(answer);
      else if (answer.status >= 500) fail(`${answer.status} ${answer.body.toString().slice(0, 120)}`);
      else {
        const version = answer.headers['x-kubeinfer-version'];
        if (typeof version === 'string') byVersion[version] = (byVersion[version] ?? 0) + 1;
      }
    }
  };
  const clients = Promise.all(Array.from({ length: concurrency }, client));
  return {
    async stop() {
      running = false;
      await clients;
      return { sent, failed, failures, byVersion };
    },
  };
}

// Keeps the router reviewers' ClusterRoleBinding in step with the InferenceServices. After any
// InferenceService event one sync (one at a time) reads them all from the informer cache and
// applies the binding when its subjects differ from the last applied; each resync applies it
// anyway, which repairs a hand edit. Level-triggered: a new leader applies it on its first
// sync, so an InferenceService deleted while no operator ran leaves no grant behind.
import { reviewingRouters, routerReviewersBinding } from '../builders/router-reviewers.ts';
import type { Informer, KubeClient } from '../../kube/client.ts';
import { describeError } from '../../kube/errors.ts';

const RETRY_MS = 5_000;

export class ReviewersBinding {
  readonly #name: string;
  readonly #client: KubeClient;
  readonly #inferenceServices: Informer;
  readonly #log: (event: Record<string, unknown>) => void;
  #pending = false;
  #running: Promise<void> | undefined;
  #applied: string | undefined;
  #retry: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(name: string, client: KubeClient, inferenceServices: Informer, log: (event: Record<string, unknown>) => void) {
    this.#name = name;
    this.#client = client;
    this.#inferenceServices = inferenceServices;
    this.#log = log;
  }

  /** Asks for a sync; `reapply` applies even when the subjects look unchanged. */
  request(reapply = false): void {
    if (this.#stopped) return;
    if (reapply) this.#applied = undefined;
    this.#pending = true;
    this.#running ??= this.#drain().finally(() => {
      this.#running = undefined;
      if (this.#pending) this.request();
    });
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#retry);
  }

  async #drain(): Promise<void> {
    while (this.#pending && !this.#stopped) {
      this.#pending = false;
      await this.#sync();
    }
  }

  async #sync(): Promise<void> {
    const routers = reviewingRouters(this.#inferenceServices.list());
    const wanted = JSON.stringify(routers);
    if (wanted === this.#applied) return;
    const applied = await this.#client.apply(routerReviewersBinding(this.#name, routers));
    if (applied.ok) {
      this.#applied = wanted;
      this.#log({ msg: 'router reviewers updated', binding: this.#name, routers: routers.map((r) => `${r.namespace}/${r.name}`) });
      return;
    }
    this.#log({
      msg: 'cannot update the router reviewers ClusterRoleBinding; routers in kubernetes mode answer 503 until it is',
      binding: this.#name,
      error: describeError(applied.error),
    });
    this.#retry ??= setTimeout(() => {
      this.#retry = undefined;
      this.request();
    }, RETRY_MS).unref();
  }
}

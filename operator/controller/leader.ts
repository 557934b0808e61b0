// Lease-based leader election with client-go's semantics: a candidate takes the
// Lease when its holder has not renewed it for leaseDuration as measured on the
// candidate's own clock (clocks of different machines are never compared), the
// leader renews every retryPeriod and steps down when it could not renew for
// renewDeadline, and a leader that shuts down releases the Lease so a
// successor need not wait for it to expire.
import type { KubeClient } from '../../kube/client.ts';
import { describeError } from '../../kube/errors.ts';
import { LeaseKind } from '../../kube/resources.ts';
import type { KubeObject } from '../../kube/types.ts';

export interface LeaderElectionOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly leaseDurationMs?: number | undefined;
  readonly renewDeadlineMs?: number | undefined;
  readonly retryPeriodMs?: number | undefined;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
  readonly log?: (event: Record<string, unknown>) => void;
}

interface LeaseSpec {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
}

interface Lease extends KubeObject {
  readonly spec?: LeaseSpec;
}

/** A Lease MicroTime: RFC 3339 with microseconds. */
export function microTime(date: Date): string {
  return date.toISOString().replace('Z', '000Z');
}

// What identifies one renewal of a Lease: the candidate's clock starts again whenever it changes.
function leaseRecord(spec: LeaseSpec): string {
  return JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
const jittered = (ms: number) => ms * (1 + Math.random() * 0.2);

/** Runs for one leadership term: acquire, renew until lost or stopped, release on stop. */
export class LeaderElector {
  readonly #options: LeaderElectionOptions;
  readonly #leaseDurationMs: number;
  readonly #renewDeadlineMs: number;
  readonly #retryPeriodMs: number;
  #observed: { record: string; at: number } | undefined;
  #lease: Lease | undefined;
  #leading = false;
  #stopped = false;
  #wake: (() => void) | undefined;
  #done: Promise<void> | undefined;

  constructor(options: LeaderElectionOptions) {
    this.#options = options;
    this.#leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.#renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.#retryPeriodMs = options.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.#leading;
  }

  /** Starts campaigning in the background. */
  start(): void {
    this.#done ??= this.#run();
  }

  /** Stops campaigning; a leader releases the Lease before this resolves. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#done;
  }

  async #run(): Promise<void> {
    while (!this.#stopped && !(await this.#tryAcquireOrRenew())) await this.#pause(jittered(this.#retryPeriodMs));
    if (this.#stopped) return this.#release(); // a no-op unless the last attempt won the Lease
    this.#leading = true;
    this.#options.log?.({
      msg: 'became leader',
      lease: `${this.#options.namespace}/${this.#options.name}`,
      identity: this.#options.identity,
    });
    this.#options.onStartedLeading();
    await this.#renewLoop();
    if (this.#stopped) await this.#release();
    this.#leading = false;
    this.#options.onStoppedLeading();
  }

  async #renewLoop(): Promise<void> {
    let lastRenew = Date.now();
    while (!this.#stopped) {
      await this.#pause(this.#retryPeriodMs);
      if (this.#stopped) return;
      const remaining = this.#renewDeadlineMs - (Date.now() - lastRenew);
      const renewed = await Promise.race([this.#tryAcquireOrRenew(), sleep(Math.max(remaining, 0)).then(() => false)]);
      if (renewed) lastRenew = Date.now();
      else if (Date.now() - lastRenew >= this.#renewDeadlineMs) {
        this.#options.log?.({
          msg: 'lost leadership: could not renew the lease within the renew deadline',
          identity: this.#options.identity,
        });
        return;
      }
    }
  }

  async #pause(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity } = this.#options;
    const now = new Date();
    const current = await client.get(LeaseKind, { namespace, name });
    if (!current.ok && current.error.kind === 'NotFound') return this.#write(this.#newLease(undefined, now), 'create');
    if (!current.ok) return this.#logFailure('read', current.error);
    const lease = current.value as Lease;
    const spec = lease.spec ?? {};
    const record = leaseRecord(spec);
    if (this.#observed?.record !== record) this.#observed = { record, at: now.getTime() };
    const heldByOther = spec.holderIdentity && spec.holderIdentity !== identity;
    const durationMs = (spec.leaseDurationSeconds ?? this.#leaseDurationMs / 1000) * 1000;
    if (heldByOther && this.#observed.at + durationMs > now.getTime()) return false;
    return this.#write(this.#newLease(lease, now), 'update');
  }

  #newLease(existing: Lease | undefined, now: Date): Lease {
    const { namespace, name, identity } = this.#options;
    const previous = existing?.spec ?? {};
    const keepsTerm = previous.holderIdentity === identity;
    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds: Math.round(this.#leaseDurationMs / 1000),
      acquireTime: keepsTerm && previous.acquireTime ? previous.acquireTime : microTime(now),
      renewTime: microTime(now),
      leaseTransitions: (previous.leaseTransitions ?? 0) + (existing && !keepsTerm ? 1 : 0),
    };
    const metadata = existing ? { ...existing.metadata, namespace, name } : { namespace, name };
    return { apiVersion: LeaseKind.apiVersion, kind: LeaseKind.kind, metadata, spec };
  }

  async #write(lease: Lease, verb: 'create' | 'update'): Promise<boolean> {
    const written = verb === 'create' ? await this.#options.client.create(lease) : await this.#options.client.update(lease);
    if (!written.ok) return written.error.kind === 'Conflict' ? false : this.#logFailure(verb, written.error);
    this.#lease = written.value as Lease;
    this.#observed = { record: leaseRecord(this.#lease.spec ?? {}), at: Date.now() };
    return true;
  }

  async #release(): Promise<void> {
    if (!this.#lease) return;
    const spec = { ...this.#lease.spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: microTime(new Date()) };
    const released = await this.#options.client.update({ ...this.#lease, spec });
    if (!released.ok) this.#logFailure('release', released.error);
    else this.#options.log?.({ msg: 'released leadership', identity: this.#options.identity });
  }

  #logFailure(action: string, error: Parameters<typeof describeError>[0]): false {
    this.#options.log?.({ msg: `leader election: lease ${action} failed`, error: describeError(error) });
    return false;
  }
}

// Deterministic traffic splitting. A coin flip per request drifts from the declared split
// at low traffic (10 requests at 90/10 can easily send 3 to the canary); smooth weighted
// round-robin (the nginx upstream algorithm) lands exactly on the weights every
// sum-of-weights requests and interleaves the picks instead of sending them in bursts.

/** Picks the next version name by weight. */
export interface Balancer {
  next(): string | undefined;
}

/**
 * Smooth weighted round-robin over `weights` (name -> weight).
 * @example const b = createBalancer([['v1', 90], ['v2', 10]]); b.next(); // 'v1'
 */
export function createBalancer(weights: readonly (readonly [string, number])[]): Balancer {
  const peers = weights.filter(([, weight]) => weight > 0).map(([name, weight]) => ({ name, weight, current: 0 }));
  const total = peers.reduce((sum, peer) => sum + peer.weight, 0);
  return {
    next() {
      let best: (typeof peers)[number] | undefined;
      for (const peer of peers) {
        peer.current += peer.weight;
        if (best === undefined || peer.current > best.current) best = peer;
      }
      if (best === undefined) return undefined;
      best.current -= total;
      return best.name;
    },
  };
}

/** Says yes to exactly `percent` of the calls, spread evenly (an error-diffusion counter). */
export interface PercentGate {
  take(): boolean;
}

/** A gate that opens for `percent` out of every 100 calls, evenly spaced. */
export function createPercentGate(percent: number): PercentGate {
  let credit = 0;
  return {
    take() {
      credit += percent;
      if (credit < 100) return false;
      credit -= 100;
      return true;
    },
  };
}

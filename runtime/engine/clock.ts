// The one clock for request timing. Workers stamp session.run with it and the main thread
// subtracts those stamps from its own, so every thread must read the same monotonic source.

/** Monotonic nanoseconds, comparable across the HTTP thread and the workers. */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

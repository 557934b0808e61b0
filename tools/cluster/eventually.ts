// Polling for tests against the control plane: controllers converge asynchronously, so
// assertions about what they do must wait for it (never for a fixed time).
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Calls `probe` until it returns a value other than undefined, and returns that value.
 * Throws after `timeoutMs`, including the last thing `probe` threw, if anything.
 * @example const pod = await eventually(async () => (await listPods()).find(isRunning));
 */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}${cause}`);
    }
    await sleep(delay);
  }
}

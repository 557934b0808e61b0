// The router's HTTP/2 (h2c) sessions to the versions' gRPC endpoints, shared by the proxy and
// the mirror: one session per endpoint, many calls multiplexed on it.
import { connect, type ClientHttp2Session } from 'node:http2';

/** HTTP/2 sessions to backends, one per gRPC endpoint, reopened when they close. */
export class BackendSessions {
  readonly #sessions = new Map<string, ClientHttp2Session>();

  get(url: string): ClientHttp2Session {
    const open = this.#sessions.get(url);
    if (open !== undefined && !open.closed && !open.destroyed) return open;
    const session = connect(url);
    session.on('error', () => this.#sessions.delete(url));
    session.on('close', () => {
      if (this.#sessions.get(url) === session) this.#sessions.delete(url);
    });
    session.on('goaway', () => this.#sessions.delete(url));
    this.#sessions.set(url, session);
    return session;
  }

  closeAll(): void {
    for (const session of this.#sessions.values()) session.destroy();
    this.#sessions.clear();
  }
}

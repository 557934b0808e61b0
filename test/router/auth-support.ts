// Shared by the router's authentication tests: reading audit lines from a router's output, and
// a gRPC backend that records what reaches it.
import { createServer, type IncomingHttpHeaders } from 'node:http2';
import type { AddressInfo } from 'node:net';

/** The audit lines among a process's output lines. */
export function auditLines(lines: readonly string[]): Record<string, unknown>[] {
  return lines.flatMap((line) => {
    const start = line.indexOf('{');
    if (start < 0) return [];
    try {
      const event = JSON.parse(line.slice(start)) as Record<string, unknown>;
      return event.msg === 'audit' ? [event] : [];
    } catch {
      return [];
    }
  });
}

export interface GrpcRecorder {
  /** `http://127.0.0.1:<port>`, a version's grpcUrl. */
  readonly url: string;
  /** The metadata of every call received, in order. */
  readonly headers: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/** An h2c backend that records each call's metadata and answers UNIMPLEMENTED: shows what the router forwards. */
export async function startGrpcRecorder(): Promise<GrpcRecorder> {
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer();
  server.on('stream', (stream, received) => {
    headers.push(received);
    stream.resume();
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '12', 'grpc-message': 'recorded' },
      { endStream: true },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    headers,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

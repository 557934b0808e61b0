// A minimal keep-alive HTTP/1.1 client for closed-loop load: each request is encoded once
// and written in one piece, responses are framed by Content-Length. node:http's client spends
// about 100 us of CPU per request here; on a 2-core host that CPU comes out of the server
// being measured, so the load generator stays as light as it can (perf_analyzer is C++).
import { connect, type Socket } from 'node:net';

export interface HttpTarget {
  readonly url: string;
  readonly path: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string | number>>;
}

/** One connection sending the same request back to back; `send` resolves true on a 200. */
export interface LoadConnection {
  send(): Promise<boolean>;
  close(): void;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** The request's bytes: request line, headers (with Host and Content-Length) and body. */
export function encodeRequest(target: HttpTarget): Buffer {
  const url = new URL(target.path, target.url);
  const lines = [`POST ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`, `Content-Length: ${target.body.length}`];
  for (const [name, value] of Object.entries(target.headers)) if (name.toLowerCase() !== 'content-length') lines.push(`${name}: ${value}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), target.body]);
}

/** Status and body length from a response head, or undefined when it is not framed by Content-Length. */
function parseHead(head: string): { status: number; length: number } | undefined {
  const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
  if (!head.startsWith('HTTP/1.1 ') || length === null || /\r\ntransfer-encoding:/i.test(head)) return undefined;
  return { status: Number(head.slice(9, 12)), length: Number(length[1]) };
}

/** Opens a keep-alive connection to `target` (Nagle off, like node:http). */
export function openConnection(target: HttpTarget): Promise<LoadConnection> {
  const url = new URL(target.url);
  const request = encodeRequest(target);
  const socket: Socket = connect({ host: url.hostname, port: Number(url.port), noDelay: true });
  let head: Buffer | undefined;
  let remaining = -1;
  let status = 0;
  let waiting: ((ok: boolean) => void) | undefined;
  const settle = (ok: boolean) => {
    const resolve = waiting;
    waiting = undefined;
    head = undefined;
    remaining = -1;
    resolve?.(ok);
  };
  socket.on('data', (chunk: Buffer) => {
    if (remaining < 0) {
      head = head === undefined ? chunk : Buffer.concat([head, chunk]);
      const end = head.indexOf(HEADER_END);
      if (end < 0) return;
      const parsed = parseHead(head.toString('latin1', 0, end));
      if (parsed === undefined) return socket.destroy();
      status = parsed.status;
      remaining = parsed.length - (head.length - end - HEADER_END.length);
    } else {
      remaining -= chunk.length;
    }
    if (remaining <= 0) settle(remaining === 0 && status === 200);
  });
  socket.on('error', () => undefined);
  socket.on('close', () => settle(false));
  return new Promise((resolve, reject) => {
    socket.once('connect', () =>
      resolve({
        send: () =>
          new Promise<boolean>((done) => {
            if (socket.destroyed) return done(false);
            waiting = done;
            socket.write(request);
          }),
        close: () => socket.destroy(),
      }),
    );
    socket.once('error', reject);
  });
}

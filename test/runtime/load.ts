// Keep-alive inference load with exact counts of what failed, and the part of Kubernetes
// that takes a terminating server out of service: readiness probing, then endpoint removal
// reaching clients some time later.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { send } from './harness.ts';

export const CLIENTS = 32;
/** How long endpoint removal takes to reach clients once readiness fails (endpoints controller, kube-proxy). */
export const PROPAGATION_MS = 1000;
const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });

export interface Tally {
  ok: number;
  /** Failures by status code or socket error code. */
  readonly failed: Map<string, number>;
  /** Responses that asked the client to close its connection. */
  closes: number;
}

/** One inference request over a shared keep-alive agent; counted in `tally`. */
export function inferOnce(url: string, agent: Agent, tally: Tally): Promise<void> {
  return new Promise((resolve) => {
    const fail = (reason: string) => {
      tally.failed.set(reason, (tally.failed.get(reason) ?? 0) + 1);
      resolve();
    };
    const req = request(
      `${url}/v2/models/m/infer`,
      { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.once('end', () => {
          if (res.headers.connection === 'close') tally.closes++;
          if (res.statusCode === 200) tally.ok++;
          else fail(String(res.statusCode));
          resolve();
        });
        res.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
      },
    );
    req.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    req.end(body);
  });
}

/** Sends from `CLIENTS` loops until `endpointRemoved()`; resolves with the counts. */
export async function keepAliveLoad(url: string, endpointRemoved: () => boolean): Promise<Tally> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const tally: Tally = { ok: 0, failed: new Map(), closes: 0 };
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (!endpointRemoved()) await inferOnce(url, agent, tally);
    }),
  );
  agent.destroy();
  return tally;
}

/** The endpoints controller: probes readiness as the kubelet does; resolves once the endpoint is gone from clients. */
export async function endpointRemoval(url: string): Promise<void> {
  const ready = () =>
    send(url, 'GET', '/v2/health/ready').then(
      (reply) => reply.status === 200,
      () => false,
    );
  while (await ready()) await sleep(100);
  await sleep(PROPAGATION_MS);
}

export interface ServiceProxy {
  readonly url: string;
  /** Takes an endpoint out: new connections stop going to it; open ones stay, as with kube-proxy. */
  remove(endpoint: string): void;
  stop(): Promise<void>;
}

/** A Kubernetes Service in miniature: each new TCP connection goes to the next endpoint (host:port). */
export async function startServiceProxy(endpoints: readonly string[]): Promise<ServiceProxy> {
  const live = [...endpoints];
  const sockets = new Set<Socket>();
  let next = 0;
  const server = createServer((client) => {
    const [host, port] = live[next++ % live.length]!.split(':');
    const upstream = connect(Number(port), host!);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    }
    client.pipe(upstream).pipe(client);
    client.once('error', () => upstream.destroy());
    upstream.once('error', () => client.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    remove: (endpoint) => void live.splice(live.indexOf(endpoint), 1),
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Peak resident memory of a process so far (VmHWM), in bytes. */
export function peakRss(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((entry) => entry.startsWith('VmHWM:'))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** A binary-extension request of `rows` x 1024 FP32 (addModel({features: 1024})); the answer is JSON unless `binaryOutput`. */
export function wideRequest(
  rows: number,
  binaryOutput: boolean,
): { readonly body: Buffer; readonly headers: Readonly<Record<string, number>> } {
  // Varied values, so an answer written as JSON has numbers of realistic length.
  const values = new Float32Array(rows * 1024).map((_, i) => (i % 997) * 0.731);
  const blob = Buffer.from(values.buffer);
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 1024], parameters: { binary_data_size: blob.length } }],
      parameters: { binary_data_output: binaryOutput },
    }),
  );
  return {
    body: Buffer.concat([header, blob]),
    headers: { 'inference-header-content-length': header.length, 'content-length': header.length + blob.length },
  };
}

/**
 * `count` binary-extension requests of 4 MiB each (addModel({features: 1024})), all at once
 * over keep-alive connections; resolves with each status and Retry-After.
 */
export async function binaryBurst(url: string, count: number): Promise<{ status: number; retryAfter: unknown }[]> {
  const { body, headers } = wideRequest(1024, true);
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const replies = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<{ status: number; retryAfter: unknown }>((resolve, reject) => {
          const req = request(`${url}/v2/models/m/infer`, { method: 'POST', agent, headers }, (res) => {
            res.resume();
            res.once('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] }));
          });
          req.once('error', reject);
          req.end(body);
        }),
    ),
  );
  agent.destroy();
  return replies;
}

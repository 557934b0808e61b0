// The few raw REST calls start-up needs (readiness, nodes, leases). Plain node:https keeps
// start-up free of client-node's weight and its error wrapping.
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { KeyPair } from './certs.ts';

/** The apiserver's address and the admin identity, loaded once. */
export interface RestTarget {
  readonly server: string;
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

/** A response: status code and body text. */
export interface RestResponse {
  readonly status: number;
  readonly body: string;
}

/** Loads the PEMs that authenticate REST calls to `server`. */
export function restTarget(server: string, ca: KeyPair, client: KeyPair): RestTarget {
  return { server, ca: readFileSync(ca.cert, 'utf8'), cert: readFileSync(client.cert, 'utf8'), key: readFileSync(client.key, 'utf8') };
}

/** One request; network errors resolve as status 0 so pollers can simply retry. */
export function rest(
  target: RestTarget,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<RestResponse> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve) => {
    const req = httpsRequest(
      new URL(path, target.server),
      {
        method,
        ca: target.ca,
        cert: target.cert,
        key: target.key,
        agent: false,
        timeout: 10_000,
        headers: payload === undefined ? {} : { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (error) => resolve({ status: 0, body: error.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (error) => resolve({ status: 0, body: error.message }));
    req.end(payload);
  });
}

/** GET `path` and parse the JSON body, or undefined when the status is not 200. */
export async function getJson<T>(target: RestTarget, path: string): Promise<T | undefined> {
  const res = await rest(target, 'GET', path);
  return res.status === 200 ? (JSON.parse(res.body) as T) : undefined;
}

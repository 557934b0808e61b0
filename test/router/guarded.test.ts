import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { guarded, type RequestHandler } from '../../runtime/router/guarded.ts';

describe('a fault in the router request path', () => {
  const servers: Server[] = [];
  after(() => {
    for (const server of servers) server.close();
  });

  async function serve(handler: RequestHandler): Promise<{ url: string; logged: Record<string, unknown>[] }> {
    const logged: Record<string, unknown>[] = [];
    const server = createServer(guarded(handler, (event) => logged.push({ ...event })));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, logged };
  }

  it('a throw answers 500 and is logged, and the server keeps serving', async () => {
    let calls = 0;
    const { url, logged } = await serve((_req, res) => {
      calls += 1;
      if (calls === 1) throw new Error('header value undefined');
      res.end('fine');
    });
    const failed = await fetch(`${url}/v2/models/m/infer?token=x`, { method: 'POST', body: '{}' });
    assert.equal(failed.status, 500);
    assert.match(((await failed.json()) as { error: string }).error, /router failed on this request/);
    assert.deepEqual(logged, [
      {
        level: 'error',
        msg: 'request failed inside the router',
        method: 'POST',
        path: '/v2/models/m/infer',
        error: 'header value undefined',
      },
    ]);
    assert.equal(await (await fetch(url)).text(), 'fine');
  });

  it('a rejection from an asynchronous path (an access check) answers 500, not an unhandled rejection', async () => {
    const { url, logged } = await serve(async () => {
      await Promise.resolve();
      throw new Error('after the check');
    });
    const failed = await fetch(url);
    assert.equal(failed.status, 500);
    assert.equal(logged[0]?.error, 'after the check');
  });

  it('a throw after the answer began closes the connection instead of leaving it hanging', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '10' });
      res.write('half');
      throw new Error('mid-answer');
    });
    await assert.rejects(async () => (await fetch(url)).text());
  });
});

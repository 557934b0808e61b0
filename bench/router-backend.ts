// The backend for bench/router.ts: a node:http server that answers like a model version
// with as little work as possible, so the router's own cost is what the bench sees.
// JSON requests get a fixed ~120-byte V2 response; binary requests are echoed back.
// Prints its port on stdout. Usage: node bench/router-backend.ts
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const answer = Buffer.from(
  JSON.stringify({
    model_name: 'bench',
    model_version: 'v1',
    outputs: [{ name: 'output', datatype: 'FP32', shape: [1, 4], data: [3, 5, 7, 9] }],
  }),
);

const server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const binary = req.headers['inference-header-content-length'];
  if (binary === undefined) {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length }).end(answer));
    return;
  }
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'inference-header-content-length': binary,
    'content-length': req.headers['content-length'] ?? '0',
  });
  req.pipe(res);
});

server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
process.once('SIGTERM', () => process.exit(0));

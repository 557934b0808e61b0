// The floor a Node stack can reach: plain node:http calling onnxruntime-node in-process on one
// thread, no framework, no workers, no validation beyond what V2 JSON needs. Prints
// {"port": N} when listening. Usage: node bench/peers/bare-server.ts MODEL.onnx
import { createServer } from 'node:http';
import { loadOnnxRuntime } from '../../runtime/onnx/runtime.ts';

interface V2Input {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: readonly number[];
}

const ort = await loadOnnxRuntime();
const session = await ort.InferenceSession.create(process.argv[2]!, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});
const outputName = session.outputNames[0]!;

const server = createServer((req, res) => {
  // Any GET is a readiness or health check: the model loaded before the server listened.
  if (req.method === 'GET') return void res.writeHead(200, { 'Content-Length': 0 }).end();
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', async () => {
    try {
      const input = (JSON.parse(Buffer.concat(chunks).toString()) as { inputs: V2Input[] }).inputs[0]!;
      const out = await session.run({ [input.name]: new ort.Tensor('float32', Float32Array.from(input.data), [...input.shape]) });
      const tensor = out[outputName]!;
      const body = JSON.stringify({
        model_name: 'm',
        outputs: [{ name: outputName, datatype: 'FP32', shape: tensor.dims, data: Array.from(tensor.data as Float32Array) }],
      });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
    } catch (error) {
      res.writeHead(400, { 'Content-Type': 'text/plain' }).end(String(error));
    }
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 }));
});
process.on('SIGTERM', () => process.exit(0));

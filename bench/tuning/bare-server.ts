// The bare stack, the baseline of bench/serve-tuning.ts: node:http calling onnxruntime-node
// in-process on one thread, no framework and no workers, answering V2 JSON. Prints
// {"port": N} once listening. Usage: node bench/tuning/bare-server.ts MODEL.onnx
import { createServer } from 'node:http';
import { loadOnnxRuntime } from '../../runtime/onnx/runtime.ts';

const ort = await loadOnnxRuntime();
const session = await ort.InferenceSession.create(process.argv[2]!, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  extra: { session: { intra_op: { allow_spinning: '0' } } },
});
const outputName = session.outputNames[0]!;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', async () => {
    const input = (JSON.parse(Buffer.concat(chunks).toString()) as { inputs: { name: string; shape: number[]; data: number[] }[] })
      .inputs[0]!;
    const out = await session.run({ [input.name]: new ort.Tensor('float32', Float32Array.from(input.data), input.shape) });
    const tensor = out[outputName]!;
    const body = JSON.stringify({
      model_name: 'm',
      outputs: [{ name: outputName, datatype: 'FP32', shape: tensor.dims, data: Array.from(tensor.data as Float32Array) }],
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }).end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 }));
});
process.on('SIGTERM', () => process.exit(0));

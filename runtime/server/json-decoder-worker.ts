// The JSON decoder thread: parses one V2 request body at a time and hands the decoded
// tensors back by transfer.
import { parentPort } from 'node:worker_threads';
import { parseInferRequest } from './infer-request.ts';
import { transferables, type DecodeJob, type DecodeReply } from './json-decoder.ts';

const port = parentPort!;
port.on('message', (job: DecodeJob) => {
  const parsed = parseInferRequest(job.body, job.headerLength, job.rawBytes);
  port.postMessage({ id: job.id, parsed } satisfies DecodeReply, transferables(parsed));
});

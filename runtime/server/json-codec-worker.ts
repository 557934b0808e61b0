// The JSON thread: parses one V2 request body, or encodes one V2 answer, at a time and hands
// the result back by transfer.
import { parentPort } from 'node:worker_threads';
import { parseInferRequest } from './infer-request.ts';
import { encodeInferResponse } from './infer-response.ts';
import { chunkTransferables, transferables, type CodecReply, type DecodeJob, type EncodeJob } from './json-codec.ts';

const port = parentPort!;
port.on('message', (job: DecodeJob | EncodeJob) => {
  if (job.kind === 'decode') {
    const parsed = parseInferRequest(job.body, job.headerLength, job.rawBytes);
    return port.postMessage({ id: job.id, parsed } satisfies CodecReply, transferables(parsed));
  }
  const encoded = encodeInferResponse(job.model, job.request, job.outputs);
  port.postMessage({ id: job.id, encoded } satisfies CodecReply, chunkTransferables(encoded));
});

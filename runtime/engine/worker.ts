// Inference worker: owns one InferenceSession, so session.run (synchronous native work)
// never blocks the main thread's HTTP handling. Tensor buffers move by transfer, not copy.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { loadOnnxRuntime } from '../onnx/runtime.ts';
import { nowNs } from './clock.ts';
import { DATATYPES, datatypeFromOrt, type TensorData } from './datatypes.ts';
import type { RunMessage, WorkerMessage, WorkerSettings } from './messages.ts';
import { signatureFromMetadata, warmupShape, type ModelSignature } from './signature.ts';
import { elementCount, ownsBuffer, type Tensor } from './tensor.ts';

const ort = await loadOnnxRuntime();
// Failures reach the client and the JSON log; onnxruntime's own stderr lines would be unstructured duplicates.
ort.env.logLevel = 'fatal';
type Session = Awaited<ReturnType<typeof ort.InferenceSession.create>>;
type OrtTensor = InstanceType<typeof ort.Tensor>;

const port = parentPort!;
const settings = workerData as WorkerSettings;

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port.postMessage(message, transfer);
}

/**
 * Lowers this thread's scheduling priority before onnxruntime starts its thread pool (its
 * threads inherit it), so that on a busy machine the HTTP thread - parsing, batching,
 * health checks - runs ahead of compute. Linux applies setpriority to a single thread.
 */
function yieldToHttpThread(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
    if (Number.isInteger(threadId)) setPriority(threadId, 5);
  } catch {
    // Not Linux or not permitted: priorities stay equal, which is only slower under saturation.
  }
}

async function createSession(): Promise<Session> {
  const providers = settings.executionProvider === 'cuda' ? ['cuda', 'cpu'] : ['cpu'];
  try {
    return await ort.InferenceSession.create(settings.modelPath, {
      executionProviders: providers,
      intraOpNumThreads: settings.intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      // Failures reach the client and the JSON log; onnxruntime's own stderr lines would be unstructured duplicates.
      logSeverityLevel: 4,
      // Spinning intra-op threads burn the cores the HTTP thread and other workers need.
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    if (settings.executionProvider === 'cuda') {
      throw new Error(`the CUDA execution provider could not be initialised (${reason}); it needs an NVIDIA GPU with its driver, CUDA 12 and cuDNN 9 libraries, and onnxruntime-node installed with --onnxruntime-node-install=cuda12`);
    }
    throw new Error(`cannot load model ${settings.modelPath}: ${reason}`);
  }
}

function toOrt(tensor: Tensor): OrtTensor {
  const type = DATATYPES[tensor.datatype].ort as 'float32';
  return new ort.Tensor(type, tensor.data as unknown as Float32Array, tensor.shape as number[]);
}

function fromOrt(name: string, value: OrtTensor): Tensor {
  const datatype = datatypeFromOrt(value.type);
  if (datatype === undefined) throw new Error(`output '${name}' has element type ${value.type}, which the protocol cannot carry`);
  return { name, datatype, shape: [...value.dims], data: value.data as TensorData };
}

async function run(session: Session, inputs: readonly Tensor[], outputs: readonly string[] | undefined): Promise<Tensor[]> {
  const feeds: Record<string, OrtTensor> = {};
  for (const tensor of inputs) feeds[tensor.name] = toOrt(tensor);
  const results = outputs === undefined ? await session.run(feeds) : await session.run(feeds, outputs as string[]);
  return Object.entries(results).map(([name, value]) => fromOrt(name, value));
}

function zeros(signature: ModelSignature, batch: number): Tensor[] {
  return signature.inputs.map((spec) => {
    const shape = warmupShape(spec, batch);
    const count = elementCount(shape);
    const array = DATATYPES[spec.datatype].array;
    const data: TensorData = array === undefined ? new Array<string>(count).fill('') : new array(count);
    return { name: spec.name, datatype: spec.datatype, shape, data };
  });
}

/** Runs the warm-up inferences; says whether batch-2 outputs split on dimension 0. */
async function warmUp(session: Session, signature: ModelSignature): Promise<boolean> {
  await run(session, zeros(signature, 1), undefined);
  if (!settings.verifyBatching) return false;
  const outputs = await run(session, zeros(signature, 2), undefined);
  return outputs.every((tensor) => tensor.shape[0] === 2);
}

async function load(): Promise<Session | undefined> {
  try {
    const session = await createSession();
    const signature = signatureFromMetadata(session.inputMetadata, session.outputMetadata);
    if (!signature.ok) throw new Error(signature.message);
    const batchingVerified = await warmUp(session, signature.value).catch((error: unknown) => {
      throw new Error(`warm-up inference failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    post({ kind: 'loaded', signature: signature.value, batchingVerified });
    return session;
  } catch (error) {
    post({ kind: 'load-failed', message: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

async function handle(session: Session, message: RunMessage): Promise<void> {
  const inferStartNs = nowNs();
  try {
    const outputs = await run(session, message.inputs, message.outputs);
    const inferEndNs = nowNs();
    const transfer = new Set(outputs.flatMap((tensor) => (ownsBuffer(tensor.data) ? [tensor.data.buffer as ArrayBuffer] : [])));
    post({ kind: 'result', id: message.id, outputs, inferStartNs, inferEndNs }, [...transfer]);
  } catch (error) {
    post({ kind: 'run-failed', id: message.id, message: error instanceof Error ? error.message : String(error) });
  }
}

yieldToHttpThread();
const session = await load();
if (session !== undefined) {
  port.on('message', (message: RunMessage) => void handle(session, message));
}

// Inference worker: owns one InferenceSession, so session.run (synchronous native work)
// never blocks the main thread's HTTP handling. Large tensor buffers move by transfer, small ones by copy.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { stepName, type PipelineStage } from '../../api/pipeline.ts';
import { loadOnnxRuntime } from '../onnx/runtime.ts';
import { nowNs } from './clock.ts';
import { DATATYPES, datatypeFromOrt, type TensorData } from './datatypes.ts';
import type { RunMessage, WorkerMessage, WorkerSettings } from './messages.ts';
import { runSteps, wireSteps, type StepRunner } from './pipeline.ts';
import { openSession } from './session.ts';
import { signatureFromMetadata, warmupShape, type ModelSignature } from './signature.ts';
import { elementCount, transferList, type Tensor } from './tensor.ts';

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

/** Tells what went wrong in terms of the provider's requirements or the model file. */
function loadError(modelPath: string, error: unknown): Error {
  const reason = error instanceof Error ? error.message : String(error);
  if (settings.executionProvider === 'cuda') {
    return new Error(
      `the CUDA execution provider could not be initialised (${reason}); it needs an NVIDIA GPU with its driver, CUDA 12 and cuDNN 9 libraries, and onnxruntime-node installed with --onnxruntime-node-install=cuda12`,
    );
  }
  return new Error(`cannot load model ${modelPath}: ${reason}`);
}

/** How this worker's sessions met the optimised-model cache, for the loaded message. */
const cacheReport = { opened: 0, cached: 0, problems: new Set<string>() };

async function createSession(modelPath: string): Promise<Session> {
  try {
    const opened = await openSession(modelPath, settings.session, settings.executionProvider);
    cacheReport.opened++;
    if (opened.fromCache) cacheReport.cached++;
    if (opened.cacheProblem !== undefined) cacheReport.problems.add(opened.cacheProblem);
    return opened.session;
  } catch (error) {
    throw loadError(modelPath, error);
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

/** Warm-up inputs: zeros, empty strings, or a valid image where a step decodes images. */
async function zeros(signature: ModelSignature, batch: number): Promise<Tensor[]> {
  const image = signature.inputs.some((spec) => spec.raw === true) ? await (await import('./image-step.ts')).sampleImage() : '';
  return signature.inputs.map((spec) => {
    const shape = warmupShape(spec, batch);
    const count = elementCount(shape);
    const array = DATATYPES[spec.datatype].array;
    const data: TensorData = array === undefined ? new Array<string>(count).fill(spec.raw === true ? image : '') : new array(count);
    return { name: spec.name, datatype: spec.datatype, shape, data };
  });
}

interface Loaded {
  readonly steps: readonly StepRunner[];
  readonly signature: ModelSignature;
}

/**
 * Runs the warm-up inferences; says whether batch-2 outputs split on dimension 0. Batching is
 * on by default, so a model that cannot take two rows (a dynamic first dimension that is not
 * a batch) is served unbatched rather than refused.
 */
async function warmUp(loaded: Loaded): Promise<boolean> {
  await runSteps(loaded.steps, loaded.signature, await zeros(loaded.signature, 1), undefined);
  if (!settings.verifyBatching) return false;
  try {
    const outputs = await runSteps(loaded.steps, loaded.signature, await zeros(loaded.signature, 2), undefined);
    return outputs.every((tensor) => tensor.shape[0] === 2);
  } catch {
    return false;
  }
}

async function sessionRunner(modelPath: string, name: string): Promise<StepRunner> {
  const session = await createSession(modelPath);
  const signature = signatureFromMetadata(session.inputMetadata, session.outputMetadata);
  if (!signature.ok) throw new Error(name === 'model' ? signature.message : `${name}: ${signature.message}`);
  return {
    name,
    inputs: signature.value.inputs,
    outputs: signature.value.outputs,
    run: (inputs, outputs) => run(session, inputs, outputs),
  };
}

/** Loads every step in order: pre-processing, the model, post-processing. */
async function loadSteps(): Promise<StepRunner[]> {
  const stage = (name: PipelineStage) =>
    settings.pipeline[name].map(async (step, index) => {
      const label = stepName(name, index);
      if ('model' in step) return sessionRunner(step.model, `${label} (model)`);
      const { imageStepRunner } = await import('./image-step.ts');
      return imageStepRunner(step.image, `${label} (image)`);
    });
  return Promise.all([...stage('preprocess'), sessionRunner(settings.modelPath, 'model'), ...stage('postprocess')]);
}

async function load(): Promise<Loaded | undefined> {
  try {
    const steps = await loadSteps();
    const signature = wireSteps(steps, settings.pipeline.preprocess.length);
    if (!signature.ok) throw new Error(signature.message);
    const loaded = { steps, signature: signature.value };
    const batchingVerified = await warmUp(loaded).catch((error: unknown) => {
      throw new Error(`warm-up inference failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    post({
      kind: 'loaded',
      signature: signature.value,
      batchingVerified,
      cachedSessions: cacheReport.cached,
      openedSessions: cacheReport.opened,
      cacheProblems: [...cacheReport.problems],
    });
    return loaded;
  } catch (error) {
    post({ kind: 'load-failed', message: error instanceof Error ? error.message : String(error) });
    return undefined;
  }
}

async function handle(loaded: Loaded, message: RunMessage): Promise<void> {
  const inferStartNs = nowNs();
  try {
    const outputs = await runSteps(loaded.steps, loaded.signature, message.inputs, message.outputs);
    const inferEndNs = nowNs();
    post({ kind: 'result', id: message.id, outputs, inferStartNs, inferEndNs }, transferList(outputs));
  } catch (error) {
    post({ kind: 'run-failed', id: message.id, message: error instanceof Error ? error.message : String(error) });
  }
}

yieldToHttpThread();
const loaded = await load();
if (loaded !== undefined) {
  port.on('message', (message: RunMessage) => void handle(loaded, message));
}

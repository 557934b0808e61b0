// A served pipeline: steps (pre-processing graphs or built-ins, the model, post-processing
// graphs) run one after another on the same batch, wired by tensor name. Wiring is checked
// once at load; what callers see is the pipeline's external inputs and outputs.
import type { ModelSignature, SignatureResult, TensorSpec } from './signature.ts';
import type { Tensor } from './tensor.ts';

/** One loaded step: its tensors, and how to run it. */
export interface StepRunner {
  /** How errors name the step: `preprocess[0] (image)`, `model`. */
  readonly name: string;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** Runs the step; `outputs` undefined computes them all. */
  run(inputs: readonly Tensor[], outputs: readonly string[] | undefined): Promise<Tensor[]>;
}

interface Producer {
  readonly spec: TensorSpec;
  readonly step: StepRunner;
  consumed: boolean;
}

const formatShape = (shape: readonly number[]) => `[${shape.join(',')}]`;

function connects(from: TensorSpec, to: TensorSpec): boolean {
  if (from.datatype !== to.datatype) return false;
  if (from.shape.length !== to.shape.length) return false;
  return from.shape.every((dim, axis) => dim < 0 || to.shape[axis]! < 0 || dim === to.shape[axis]);
}

/** Feeds one step's input from an earlier step's output, or records it as a pipeline input; returns a problem. */
function wireInput(
  step: StepRunner,
  input: TensorSpec,
  produced: Map<string, Producer>,
  external: Map<string, TensorSpec>,
): string | undefined {
  const producer = produced.get(input.name);
  if (producer !== undefined) {
    producer.consumed = true;
    if (connects(producer.spec, input)) return undefined;
    return `${step.name} input '${input.name}' is ${input.datatype} ${formatShape(input.shape)} but ${producer.step.name} produces it as ${producer.spec.datatype} ${formatShape(producer.spec.shape)}`;
  }
  const known = external.get(input.name);
  if (known !== undefined && (known.datatype !== input.datatype || !connects(known, input))) {
    return `${step.name} input '${input.name}' is ${input.datatype} ${formatShape(input.shape)} but an earlier step takes the same request input as ${known.datatype} ${formatShape(known.shape)}`;
  }
  if (known === undefined) external.set(input.name, input);
  return undefined;
}

/** Checks that the steps connect by name and type; the result is the pipeline's signature. */
export function wireSteps(steps: readonly StepRunner[], modelIndex: number): SignatureResult {
  const produced = new Map<string, Producer>();
  const external = new Map<string, TensorSpec>();
  for (const step of steps) {
    for (const input of step.inputs) {
      const problem = wireInput(step, input, produced, external);
      if (problem !== undefined) return { ok: false, message: `the pipeline does not connect: ${problem}` };
    }
    for (const output of step.outputs) {
      const earlier = produced.get(output.name);
      if (earlier !== undefined || external.has(output.name)) {
        return {
          ok: false,
          message: `the pipeline does not connect: ${step.name} output '${output.name}' has the name of an earlier ${earlier === undefined ? 'request input' : `output of ${earlier.step.name}`}`,
        };
      }
      produced.set(output.name, { spec: output, step, consumed: false });
    }
  }
  // A pre-processing output nobody reads is a misspelt name, not an extra pipeline output.
  const dangling = steps
    .slice(0, modelIndex)
    .flatMap((step) => step.outputs.filter((output) => !produced.get(output.name)!.consumed).map((output) => ({ step, output })));
  if (dangling.length > 0) {
    const { step, output } = dangling[0]!;
    const model = steps[modelIndex]!;
    return {
      ok: false,
      message: `the pipeline does not connect: ${step.name} output '${output.name}' feeds no later step (the model's inputs are ${model.inputs.map((spec) => `'${spec.name}'`).join(', ')})`,
    };
  }
  const inputs = [...external.values()];
  const outputs = [...produced.values()].filter((producer) => !producer.consumed).map((producer) => producer.spec);
  const all = [...inputs, ...outputs];
  const batchable = inputs.length > 0 && all.every((spec) => spec.shape.length > 0 && spec.shape[0] === -1);
  const signature: ModelSignature = { inputs, outputs, batchable };
  return { ok: true, value: signature };
}

/** Runs the wired steps in order; a lone model runs with the requested outputs only. */
export async function runSteps(
  steps: readonly StepRunner[],
  signature: ModelSignature,
  inputs: readonly Tensor[],
  wanted: readonly string[] | undefined,
): Promise<Tensor[]> {
  if (steps.length === 1) return steps[0]!.run(inputs, wanted);
  const available = new Map<string, Tensor>(inputs.map((tensor) => [tensor.name, tensor]));
  for (const step of steps) {
    const feeds = step.inputs.map((spec) => available.get(spec.name)!);
    let outputs: Tensor[];
    try {
      outputs = await step.run(feeds, undefined);
    } catch (error) {
      throw new Error(`pipeline step ${step.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
    for (const tensor of outputs) available.set(tensor.name, tensor);
  }
  return (wanted ?? signature.outputs.map((spec) => spec.name)).map((name) => available.get(name)!);
}

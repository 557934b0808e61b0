// Schema of what runs around a version's model: the labels of the classification
// extension and the declared pre/post-processing steps. Split from schema.ts to keep
// each file readable; schema.ts composes them into the version.
import { celString, enumeration, integer, list, number, object, optional, required, string } from './schema-builder.ts';

const MODEL_URI = '^(file|pvc|http|https|s3|gs)://';
const MODEL_LOCATION = '^(file:///?[^/].*|pvc://[a-z0-9]([-a-z0-9.]*[a-z0-9])?/.+|(s3|gs)://[^/]+/.+|https?://[^/]+(/.*)?)$';
const ARTIFACT_LOCATION = '^(file:///?[^/].*|(s3|gs)://[^/]+/.+|https?://[^/]+(/.*)?)$';
/** A tensor name as ONNX graphs spell them (no control characters, bounded for CEL). */
const TENSOR_NAME = '^[^\\x00-\\x1f]+$';
const MAX_STEPS = 8;

const sha256 = (what: string) =>
  optional(
    string(`Hex SHA-256 of the ${what}; fetch-model refuses a download that does not match.`, { pattern: '^[a-f0-9]{64}$', maxLength: 64 }),
  );

/** The uri field of a model: any scheme, pvc:// included. */
export const modelUri = (description: string) =>
  string(description, {
    pattern: MODEL_URI,
    maxLength: 2048,
    rules: [
      {
        rule: `self.matches(${celString(MODEL_LOCATION)})`,
        message:
          'model.uri must name a location after the scheme: file:///<path>, pvc://<claim>/<path>, s3://<bucket>/<key>, gs://<bucket>/<object> or http(s)://<host>/<path>',
      },
    ],
  });

/** One file fetched beside the model (a step's graph, labels): one object, never a pvc:// claim. */
const artifact = (what: string) =>
  object(`Where the ${what} comes from; fetched by the fetch-model init container with the same credentials as the model.`, {
    uri: required(
      string(
        `Location of the ${what}: file:///path, http(s)://host/path, s3://<bucket>/<key> or gs://<bucket>/<object> (one object; pvc:// is not supported here).`,
        {
          pattern: MODEL_URI,
          maxLength: 2048,
          rules: [
            {
              rule: `self.matches(${celString(ARTIFACT_LOCATION)})`,
              message: `the ${what} uri must name one object: file:///<path>, s3://<bucket>/<key>, gs://<bucket>/<object> or http(s)://<host>/<path> (pvc:// is not supported for pipeline files)`,
            },
          ],
        },
      ),
    ),
    sha256: sha256(what),
  });

export const labels = artifact(
  "labels file (one label per line, line i names class index i; Triton's classification extension appends them)",
);

const tensorName = (description: string) => string(description, { pattern: TENSOR_NAME, minLength: 1, maxLength: 256 });
const channelCount = "(has(self.channels) && self.channels == 'GRAY' ? 1 : 3)";

export const image = object(
  'Built-in image step: decodes JPEG/PNG/WebP bytes (one image per row of a BYTES input), resizes and normalises them into a float32 tensor.',
  {
    input: required(
      tensorName('Name of the BYTES input holding the encoded images (binary, or base64 in JSON); it becomes an input of the pipeline.'),
    ),
    output: required(tensorName('Name of the float32 tensor produced; the next step (or the model) must have an input of this name.')),
    width: required(integer('Width in pixels of the produced tensor.', { minimum: 1, maximum: 8192 })),
    height: required(integer('Height in pixels of the produced tensor.', { minimum: 1, maximum: 8192 })),
    layout: optional(
      enumeration(['NCHW', 'NHWC'], 'Tensor layout: [batch, channels, height, width] or [batch, height, width, channels].', {
        default: 'NCHW',
      }),
    ),
    channels: optional(enumeration(['RGB', 'BGR', 'GRAY'], 'Channel order (GRAY: one channel).', { default: 'RGB' })),
    scale: optional(number('Each 0..255 pixel value is multiplied by this before mean and std apply.', { default: 1 / 255 })),
    mean: optional(
      list(number('Mean of one channel.'), 'Per-channel mean subtracted after scaling; one value per channel.', { maxItems: 3 }),
    ),
    std: optional(
      list(number('Standard deviation of one channel.'), 'Per-channel divisor applied after the mean; one non-zero value per channel.', {
        maxItems: 3,
      }),
    ),
    resize: optional(
      enumeration(
        ['fill', 'fit', 'crop'],
        'fill: stretch to width x height; fit: keep the aspect ratio and pad with black; crop: cover the size and cut the centre.',
        { default: 'fill' },
      ),
    ),
  },
  {
    rules: [
      {
        rule: `!has(self.mean) || self.mean.size() == ${channelCount}`,
        message: 'image.mean needs one value per channel: 3 for RGB and BGR, 1 for GRAY',
        fieldPath: '.mean',
      },
      {
        rule: `!has(self.std) || self.std.size() == ${channelCount}`,
        message: 'image.std needs one value per channel: 3 for RGB and BGR, 1 for GRAY',
        fieldPath: '.std',
      },
      {
        rule: '!has(self.std) || self.std.all(s, s != 0.0)',
        message: 'image.std values divide the pixels and must not be 0',
        fieldPath: '.std',
      },
      { rule: 'self.input != self.output', message: 'image.input and image.output must be different tensor names' },
    ],
  },
);

const step = object(
  'One step: another ONNX graph (model) or a built-in step (image). Exactly one is set.',
  {
    model: optional(
      artifact(
        "step's ONNX graph; its inputs are fed by name from the request or earlier steps, its outputs feed later steps of the same name",
      ),
    ),
    image: optional(image),
  },
  {
    rules: [
      {
        rule: '[has(self.model), has(self.image)].filter(x, x).size() == 1',
        message: 'a pipeline step sets exactly one of model or image',
      },
    ],
  },
);

const steps = (where: string) =>
  optional(list(step, `Steps run ${where} the model, in order, in the same worker and on the same batch.`, { maxItems: MAX_STEPS }));

export const pipeline = object(
  "Steps around the model, wired by tensor name: each step's outputs feed later steps' inputs of the same name. What callers see (metadata, /config) is the pipeline's external inputs and outputs.",
  {
    preprocess: steps('before'),
    postprocess: steps('after'),
  },
  {
    rules: [
      {
        rule: '!has(self.postprocess) || self.postprocess.all(s, !has(s.image))',
        message: 'an image step decodes request bytes, so it belongs in preprocess',
        fieldPath: '.postprocess',
      },
      {
        rule: '!has(self.preprocess) || self.preprocess.all(a, !has(a.image) || self.preprocess.filter(b, has(b.image) && (b.image.output == a.image.output || b.image.input == a.image.output)).size() == 1)',
        message: 'each image step needs its own output name, different from every image input: steps are wired by tensor name',
        fieldPath: '.preprocess',
      },
    ],
  },
);

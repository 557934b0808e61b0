// How remote objects map onto the model directory. Pure: no I/O.
// The directory always ends up as `model.onnx` plus the external-data files the
// graph references by relative path, so names under a prefix are kept as they are.
import path from 'node:path';
import { fail, ok, type Result } from './errors.ts';
import { MODEL_FILE, namesSingleFile } from '../../contracts/index.ts';

/** One object of a listing, relative to the listed prefix. */
export interface ListedObject {
  readonly relativePath: string;
  readonly size: number | null;
}

/** A listed object with its place in the model directory. */
export interface PlannedFile<T extends ListedObject = ListedObject> {
  readonly object: T;
  readonly target: string;
}

/** Checks that an object name stays inside the model directory once written. */
export function safeRelativePath(name: string): Result<string> {
  const unsafe =
    name === '' ||
    name.includes('\0') ||
    name.includes('\\') ||
    name.startsWith('/') ||
    /^[a-zA-Z]:/.test(name) ||
    name.split('/').some((segment) => segment === '..' || segment === '.' || segment === '');
  if (unsafe) return fail({ kind: 'UnsafePath', path: name });
  const normalized = path.posix.normalize(name);
  if (normalized !== name || normalized.startsWith('../')) return fail({ kind: 'UnsafePath', path: name });
  return ok(name);
}

/**
 * Chooses the model file of a directory listing and places every object:
 * `model.onnx` if present, else the only top-level `*.onnx` (renamed to `model.onnx`).
 */
export function planDirectory<T extends ListedObject>(objects: readonly T[], where: string): Result<readonly PlannedFile<T>[]> {
  const files = objects.filter((object) => !object.relativePath.endsWith('/'));
  for (const object of files) {
    const checked = safeRelativePath(object.relativePath);
    if (!checked.ok) return checked;
  }
  const topLevelModels = files.filter((object) => !object.relativePath.includes('/') && namesSingleFile(object.relativePath));
  const model = files.find((object) => object.relativePath === MODEL_FILE) ?? (topLevelModels.length === 1 ? topLevelModels[0] : undefined);
  if (!model) {
    const found = topLevelModels.map((object) => object.relativePath);
    const reason =
      files.length === 0
        ? `${where} is empty or does not exist`
        : found.length > 1
          ? `${where} holds several models (${found.join(', ')}) and no ${MODEL_FILE}; name one in the URI`
          : `${where} holds no ${MODEL_FILE} (found ${files
              .slice(0, 5)
              .map((object) => object.relativePath)
              .join(', ')}${files.length > 5 ? ', ...' : ''})`;
    return fail({ kind: 'NotFound', reason });
  }
  const planned = files.map((object) => ({ object, target: object === model ? MODEL_FILE : object.relativePath }));
  // The model goes last so that it is published last.
  return ok([...planned.filter((file) => file.object !== model), ...planned.filter((file) => file.object === model)]);
}

/** Places a single model object as `model.onnx`. */
export function planSingle<T extends ListedObject>(object: T): readonly PlannedFile<T>[] {
  return [{ object, target: MODEL_FILE }];
}

/** Total of known sizes, or null when any size is unknown. */
export function knownTotal(objects: readonly { readonly size: number | null }[]): number | null {
  let total = 0;
  for (const object of objects) {
    if (object.size === null) return null;
    total += object.size;
  }
  return total;
}

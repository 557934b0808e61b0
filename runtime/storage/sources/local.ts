// file:// and pvc:// — models already on a filesystem. file:// copies into the
// destination like any download (or, in place, is only verified); pvc:// is mounted by
// the operator, read-only, so fetch-model only checks that the model is there.
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fail, ok, type Result } from '../errors.ts';
import { MODEL_FILE, type ModelSource } from '../../../contracts/index.ts';
import { planDirectory, planSingle, type ListedObject, type PlannedFile } from '../layout.ts';
import { remoteFiles, type FetchPlan } from './source.ts';

type LocalObject = ListedObject & { readonly absolutePath: string };

/** Lists the model file(s) a local path names: one .onnx file, or a directory. */
export async function listLocal(target: string): Promise<Result<readonly PlannedFile<LocalObject>[]>> {
  const info = await stat(target).catch((error: NodeJS.ErrnoException) => error);
  if (info instanceof Error) {
    return fail(
      info.code === 'ENOENT' || info.code === 'ENOTDIR'
        ? { kind: 'NotFound', reason: `${target} does not exist` }
        : { kind: 'Io', reason: `cannot read ${target}: ${info.message}` },
    );
  }
  if (info.isFile()) {
    if (info.size === 0) return fail({ kind: 'NotAModel', reason: `${target} is empty` });
    return ok(planSingle({ relativePath: path.basename(target), size: info.size, absolutePath: target }));
  }
  if (!info.isDirectory()) return fail({ kind: 'NotAModel', reason: `${target} is neither a file nor a directory` });
  const objects: LocalObject[] = [];
  for (const entry of await readdir(target, { recursive: true, withFileTypes: true })) {
    const absolutePath = path.join(entry.parentPath, entry.name);
    const entryInfo = await stat(absolutePath).catch(() => null);
    if (!entryInfo?.isFile() || entry.name.startsWith('.fetch-model-')) continue;
    objects.push({ relativePath: path.relative(target, absolutePath).split(path.sep).join('/'), size: entryInfo.size, absolutePath });
  }
  return planDirectory(objects, target);
}

/** Plans copying a file:// model into the destination. */
export async function planFileCopy(source: Extract<ModelSource, { scheme: 'file' }>): Promise<Result<FetchPlan>> {
  const planned = await listLocal(source.path);
  if (!planned.ok) return planned;
  return ok({
    credentials: 'local filesystem',
    files: remoteFiles(planned.value, 'local filesystem', (object) => ({
      label: `file://${object.absolutePath}`,
      open: async () => ({ ok: true as const, value: { body: createReadStream(object.absolutePath), size: object.size } }),
    })),
  });
}

/** A model that stays where it is: the file to load and every file beside it. */
export interface InPlaceModel {
  readonly modelPath: string;
  readonly files: readonly string[];
  readonly bytes: number;
}

/** Checks a model that is used where it lies (file:// in place, a mounted pvc://). */
export async function locateInPlace(target: string): Promise<Result<InPlaceModel>> {
  const planned = await listLocal(target);
  if (!planned.ok) return planned;
  // External-data locations are relative to the graph's directory, not its name, so the
  // graph may keep its own name when it is used in place.
  const model = planned.value.find((file) => file.target === MODEL_FILE)!;
  return ok({
    modelPath: model.object.absolutePath,
    files: planned.value.map((file) => file.object.relativePath),
    bytes: planned.value.reduce((sum, file) => sum + (file.object.size ?? 0), 0),
  });
}

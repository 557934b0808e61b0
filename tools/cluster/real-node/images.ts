// kubeinfer's images on the real node: built by tools/images/build-images.sh (cached by
// their inputs, so seconds when nothing changed), then imported into containerd's k8s.io
// namespace, where the kubelet finds them without any registry.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const BUILD_SCRIPT = fileURLToPath(new URL('../../images/build-images.sh', import.meta.url));

/** The images a real node runs: the operator's and the runtime's, as the chart and the operator name them. */
export const OPERATOR_IMAGE = 'localhost/kubeinfer-operator:dev';
export const RUNTIME_IMAGE = 'localhost/kubeinfer-runtime:dev';

/** Builds the images when their inputs changed (progress on stderr); rejects with the script's exit status. */
export function buildImages(): Promise<void> {
  const child = spawn('bash', [BUILD_SCRIPT, 'build'], { stdio: ['ignore', 2, 2] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`bash ${BUILD_SCRIPT} build exited with ${code}; its output is above`)),
    );
  });
}

/** Imports every image into the containerd listening on `socket`. */
export async function importImages(socket: string): Promise<void> {
  const { stdout } = await run('bash', [BUILD_SCRIPT, 'archives'], { maxBuffer: 1024 * 1024 });
  for (const archive of stdout.split('\n').filter(Boolean)) {
    await run('ctr', ['--address', socket, '--namespace', 'k8s.io', 'images', 'import', archive], { maxBuffer: 16 * 1024 * 1024 });
  }
}

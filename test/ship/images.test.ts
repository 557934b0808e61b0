// The container images, checked without a Docker engine: hadolint on both Dockerfiles,
// then the properties we promise read from the Dockerfiles themselves, and the module
// graph proving the files the images copy are the files the CLI loads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { externalImages, finalStage, instructionsOf, parseDockerfile, type Dockerfile } from './dockerfile.ts';
import { hadolintPath } from './hadolint.ts';
import { walkModules } from './imports.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(`${root}${path}`, 'utf8');
const images = {
  operator: parseDockerfile(read('Dockerfile.operator')),
  runtime: parseDockerfile(read('Dockerfile.runtime')),
} as const;
// Each image's CLI entry point and the source folders it copies: the operator image has
// no data plane (runtime/); both share the API and the contracts.
const IMAGE_SOURCES = {
  operator: { entry: 'bin/kubeinfer-operator.ts', copied: ['api', 'bin', 'cli', 'contracts', 'kube', 'operator', 'rollout'] },
  runtime: { entry: 'bin/kubeinfer.ts', copied: ['api', 'bin', 'cli', 'contracts', 'kube', 'operator', 'rollout', 'runtime'] },
} as const;
const ORT_PACKAGES = ['onnxruntime-node', 'onnxruntime-common'] as const;

function runs(dockerfile: Dockerfile): string[] {
  return dockerfile.stages.flatMap((stage) => instructionsOf(stage, 'RUN').map((run) => run.args));
}

test('hadolint passes both Dockerfiles', () => {
  const hadolint = hadolintPath();
  assert.ok(hadolint.ok, hadolint.ok ? '' : hadolint.message);
  const report = execFileSync(hadolint.path, ['--no-color', 'Dockerfile.operator', 'Dockerfile.runtime'], { cwd: root, encoding: 'utf8' });
  assert.equal(report.trim(), '');
});

for (const [name, dockerfile] of Object.entries(images) as [keyof typeof images, Dockerfile][]) {
  const { entry, copied } = IMAGE_SOURCES[name];
  test(`${name} image: multi-stage on a pinned Node 24 base; every base image pinned`, () => {
    assert.ok(dockerfile.stages.length >= 3, 'dependencies are installed in a stage of their own');
    assert.match(dockerfile.globalArgs.get('NODE_VERSION') ?? '', /^24\.\d+\.\d+$/, 'NODE_VERSION is an exact Node 24 release');
    for (const image of externalImages(dockerfile)) {
      const tag = /:([^/]+)$/.exec(image)?.[1] ?? '';
      assert.ok(tag !== '' && tag !== 'latest' && /\d+\.\d+/.test(tag), `${image} is pinned to a version`);
    }
    assert.ok(externalImages(dockerfile).includes(`node:${dockerfile.globalArgs.get('NODE_VERSION')}-bookworm-slim`));
  });

  test(`${name} image: production dependencies only, from the lockfile`, () => {
    const installs = runs(dockerfile).filter((run) => /\bnpm\b/.test(run));
    assert.ok(installs.length > 0);
    for (const run of installs) {
      assert.match(run, /\bnpm ci\b/, 'npm ci installs exactly the lockfile');
      assert.match(run, /--omit=dev\b/);
      assert.doesNotMatch(run, /\bnpm (install|i)\b/);
    }
  });

  test(`${name} image: non-root, signals reach node, only runtime files copied`, () => {
    const final = finalStage(dockerfile);
    const user = instructionsOf(final, 'USER').at(-1)?.args ?? '';
    assert.match(user, /^[1-9]\d*(:[1-9]\d*)?$/, 'a numeric non-root USER, so runAsNonRoot can verify it');
    const entrypoint = JSON.parse(instructionsOf(final, 'ENTRYPOINT').at(-1)?.args ?? 'null') as unknown;
    assert.deepEqual(entrypoint, ['/usr/bin/tini', '--', 'node', `/app/${entry}`], 'exec form: tini is PID 1 and forwards SIGTERM to node');
    assert.ok(
      instructionsOf(final, 'COPY').some((copy) => /tini-static \/usr\/bin\/tini$/.test(copy.args)),
      'the final stage carries tini',
    );
    const sources = instructionsOf(final, 'COPY')
      .filter((copy) => !copy.args.startsWith('--from'))
      .map((copy) => copy.args.split(/\s+/)[0]);
    assert.deepEqual(sources.sort(), [...copied, 'package.json'].sort());
    assert.ok(instructionsOf(final, 'ENV').some((env) => env.args === 'NODE_ENV=production'));
  });
}

test('runtime image: VARIANT=cuda installs the CUDA execution provider on a CUDA 12 base', () => {
  const dockerfile = images.runtime;
  assert.equal(dockerfile.globalArgs.get('VARIANT'), 'cpu');
  assert.match(dockerfile.globalArgs.get('CUDA_BASE_IMAGE') ?? '', /^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-/);
  const install = runs(dockerfile).find((run) => run.includes('npm ci')) ?? '';
  assert.match(install, /cuda\) ort_install=cuda12/);
  assert.match(install, /cpu\) ort_install=skip/);
  assert.match(install, /\*\) echo "VARIANT must be cpu or cuda/, 'an unknown VARIANT fails the build with a message');
  assert.match(install, /--onnxruntime-node-install="\$ort_install"/);
  // The final stage starts from an image named by an ARG (never a stage named by an ARG,
  // which buildah cannot resolve): Node's image by default, NVIDIA's for CUDA.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile ARG reference, not a template
  assert.equal(finalStage(dockerfile).image, '${BASE_IMAGE}');
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile ARG reference, not a template
  assert.equal(dockerfile.globalArgs.get('BASE_IMAGE'), 'node:${NODE_VERSION}-bookworm-slim');
  const nodeCopy = instructionsOf(finalStage(dockerfile), 'RUN')
    .map((run) => run.args)
    .join('\n');
  assert.match(nodeCopy, /--mount=type=bind,from=node,source=\/usr\/local\/bin\/node/, 'a non-Node base gets node from the node stage');
  assert.match(nodeCopy, /VARIANT=cuda needs a CUDA base: --build-arg BASE_IMAGE=\$CUDA_BASE_IMAGE/);
});

test('operator image: no ONNX runtime, and the operator never loads it', () => {
  const install = runs(images.operator).find((run) => run.includes('npm ci')) ?? '';
  assert.match(install, /--onnxruntime-node-install=skip/);
  for (const name of ORT_PACKAGES) assert.match(install, new RegExp(`rm -rf .*node_modules/${name}\\b`));
  const operatorGraph = walkModules([`${root}operator/cli/command.ts`, `${root}${IMAGE_SOURCES.operator.entry}`], { dynamic: true });
  for (const name of ORT_PACKAGES) {
    assert.ok(!operatorGraph.packages.has(name), `${operatorGraph.packages.get(name)} makes the operator load ${name}`);
  }
  const startup = walkModules([`${root}bin/kubeinfer.ts`], { dynamic: false });
  for (const name of ORT_PACKAGES) assert.ok(!startup.packages.has(name), `${startup.packages.get(name)} loads ${name} at CLI start-up`);
});

for (const [name, { entry, copied }] of Object.entries(IMAGE_SOURCES)) {
  test(`${name} image: every module its CLI can load is copied, and every package it imports is a production dependency`, () => {
    const graph = walkModules([`${root}${entry}`], { dynamic: true });
    for (const file of graph.files) {
      const relative = file.slice(root.length);
      assert.ok(
        copied.some((dir) => relative.startsWith(`${dir}/`)),
        `${relative} is loaded by ${entry} but not copied into the ${name} image`,
      );
    }
    const dependencies = Object.keys((JSON.parse(read('package.json')) as { dependencies: Record<string, string> }).dependencies);
    for (const [pkg, importer] of graph.packages) {
      assert.ok(
        dependencies.includes(pkg),
        `${importer.slice(root.length)} imports ${pkg}, which is not in package.json "dependencies" (npm ci --omit=dev leaves it out)`,
      );
    }
  });
}

test('.dockerignore: the build context is the lockfile and the CLI source only', () => {
  const lines = read('.dockerignore')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  assert.equal(lines[0], '*', 'everything is excluded unless listed');
  const included = lines.filter((line) => line.startsWith('!')).map((line) => line.slice(1).replace(/\/$/, ''));
  assert.deepEqual(included.sort(), [
    'api',
    'bin',
    'cli',
    'contracts',
    'kube',
    'operator',
    'package-lock.json',
    'package.json',
    'rollout',
    'runtime',
  ]);
  assert.ok(lines.includes('**/node_modules'));
});

// The repo's .proto files describe exactly the service Triton's clients are generated from:
// protoc compiles them, and every name and field number is compared with tritonclient[grpc]'s
// compiled descriptors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./proto_descriptors_check.py', import.meta.url));
const PROTO_DIR = fileURLToPath(new URL('../../runtime/grpc/proto/', import.meta.url));
const PYTHON = process.env.PYTHON ?? 'python3';

test('grpc_service.proto and model_config.proto match tritonclient[grpc] message by message, field by field', () => {
  const probe = spawnSync(PYTHON, ['-c', 'import tritonclient.grpc.service_pb2, grpc_tools.protoc'], { encoding: 'utf8' });
  assert.equal(
    probe.status,
    0,
    `this test needs Python with tritonclient and grpcio-tools: pip install -r test/requirements.txt (${probe.error?.message ?? probe.stderr.trim()})`,
  );
  assert.equal(execFileSync(PYTHON, [SCRIPT, PROTO_DIR], { encoding: 'utf8' }).trim(), 'ok');
});

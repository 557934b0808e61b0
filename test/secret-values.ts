// Every secret value the storage and auth suites use, in one place, so one test can look for
// all of them in what those suites captured (test/secrets-leak.test.ts). A suite that needs a
// secret takes it from here; values made at run time (Kubernetes tokens) are registered
// with captureSecret (test/capture.ts).
export const SECRET_VALUES = {
  /** Router API keys (test/router/auth-keys.test.ts). */
  routerKeyA: 'key-alpha-0f3c9e1d',
  routerKeyB: 'key-bravo-7a21bb40',
  routerKeyNew: 'key-charlie-55de0a9c',
  routerCookie: 'session=cookie-value-93ad',
  /** Router gRPC keys (test/router/auth-grpc.test.ts). */
  grpcInferKey: 'grpc-key-infer-2c81f0',
  grpcPinKey: 'grpc-key-pin-b7e4d2',
  /** Local mode keys (test/local/auth.test.ts). */
  localKey: 'local-key-6b0e2f',
  localOtherKey: 'local-key-91c7aa',
  localPinKey: 'local-key-pin-4d09e3',
  /** `serve --api-keys-file` keys (test/runtime/auth.test.ts). */
  serveKey: 'serve-key-d41d8c',
  serveMetricsKey: 'serve-key-metrics-77a0c1',
  /** Storage credentials and what they guard (test/storage/egress.test.ts, test/operator/secrets.test.ts). */
  egressInternalAnswer: 'internal-only: db-password=hunter2',
  egressBearer: 'bearer-value-never-printed',
  egressSignature: 'presigned-signature-never-printed',
  uriPassword: 'uri-password-5e1f',
  presignedSignature: 'presigned-signature-0c7d',
  storageBearer: 'bearer-value-a83b',
} as const;

// The router's public surface, for local mode, tests and benchmarks (its configuration
// format is a contract: contracts/router-config.ts).
export { createBalancer, createPercentGate } from './balancer.ts';
export { MIRROR_HEADER } from './mirror.ts';
export { VERSION_HEADER } from './route.ts';
export { startRouter } from './server.ts';
export type { Router, RouterOptions } from './server.ts';
export { watchConfigFile, watchTextFile } from './source-file.ts';
export type { ConfigSink, ConfigWatch } from './source-file.ts';

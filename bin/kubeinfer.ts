#!/usr/bin/env node
// The one CLI: every subcommand registers itself from the module that owns it.
// Command modules keep their top-level imports light and load heavy code
// (onnxruntime, client-node) inside their actions, so `--help` stays instant.
import { Command } from 'commander';
import { registerServe } from '../runtime/server/command.ts';
import { registerRoute } from '../runtime/router/command.ts';
import { registerFetchModel } from '../runtime/storage/command.ts';
import { registerRun } from '../runtime/local/command.ts';
import { registerValidate } from '../api/command.ts';
import { registerOperatorCommands } from '../operator/cli/command.ts';

const program = new Command('kubeinfer')
  .description('Deploy ONNX models on Kubernetes: operator, model server, router and local mode.')
  .version('0.1.0')
  .showHelpAfterError();

registerRun(program);
registerServe(program);
registerRoute(program);
registerFetchModel(program);
registerValidate(program);
registerOperatorCommands(program);

await program.parseAsync(process.argv);

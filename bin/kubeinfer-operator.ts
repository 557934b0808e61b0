#!/usr/bin/env node
// The operator image's CLI: the operator-side commands and `validate`, nothing of the
// data plane, so the image carries api/, contracts/ and operator/ but not runtime/.
import { Command } from 'commander';
import { registerValidate } from '../api/command.ts';
import { registerOperatorCommands } from '../operator/cli/command.ts';

const program = new Command('kubeinfer')
  .description('The kubeinfer operator: reconciles InferenceServices; also render, status, promote, rollback and validate.')
  .version('0.1.0')
  .showHelpAfterError();

registerValidate(program);
registerOperatorCommands(program);

await program.parseAsync(process.argv);

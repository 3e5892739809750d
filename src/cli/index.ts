#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// The `tessera` command line. Each sub-command lives in commands/<name>.ts and registers itself here.
import { Command } from 'commander';
import { packageRoot } from '../tensor/index.js';
import { registerAblate } from './commands/ablate.js';
import { registerChat } from './commands/chat.js';
import { registerData } from './commands/data.js';
import { registerDemo } from './commands/demo.js';
import { registerDoctor } from './commands/doctor.js';
import {
  registerCompare,
  registerEval,
  registerEvalData,
  registerEvalDialogue,
  registerEvalScaling,
} from './commands/eval.js';
import { registerGenerate } from './commands/generate.js';
import { registerImageTokenizer } from './commands/image-tokenizer.js';
import { registerServe } from './commands/serve.js';
import { registerTokenizer } from './commands/tokenizer.js';
import { registerTrain } from './commands/train.js';
import { registerWorld } from './commands/world.js';
import { termSafe } from './terminal.js';

function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

const program = new Command();
program
  .name('tessera')
  .description('a native multimodal model stack in TypeScript')
  .version(packageVersion(), '-V, --version', 'the installed version')
  .showHelpAfterError();

registerDoctor(program);
registerDemo(program);
registerGenerate(program);
registerChat(program);
registerTokenizer(program);
registerImageTokenizer(program);
registerWorld(program);
registerData(program);
registerTrain(program);
registerEval(program);
registerCompare(program);
registerEvalData(program);
registerEvalDialogue(program);
registerEvalScaling(program);
registerServe(program);
registerAblate(program);

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`tessera: ${termSafe(e instanceof Error ? e.message : String(e))}`);
  process.exit(1);
});

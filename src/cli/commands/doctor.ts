// `tessera doctor`: which kernel backend, which BLAS and how many threads are in use.
import type { Command } from 'commander';
import { backendReason, kernels } from '../../tensor/kernels/index.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('print the kernel backend, BLAS library and thread count in use')
    .option('--json', 'print one JSON object')
    .action((opts: { json?: boolean }) => {
      const info = kernels().info();
      const report = {
        ...info,
        reason: backendReason(),
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      };
      if (opts.json) console.log(JSON.stringify(report));
      else for (const [k, v] of Object.entries(report)) console.log(`${k.padEnd(8)} ${v}`);
    });
}

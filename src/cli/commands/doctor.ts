// `tessera doctor`: which kernel backend and build are in use, which BLAS and core type, why those kernels
// were chosen for this CPU, and a measured gemm rate next to the machine's measured FMA peak.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import { backendReason, kernels } from '../../tensor/kernels/index.js';
import { nativePeakGflops, readKernelSelection } from '../../tensor/kernels/native.js';
import type { Kernels } from '../../tensor/kernels/types.js';
import { packageRoot } from '../../tensor/paths.js';
import { formatTable } from '../table.js';

/** GFLOPS of the active gemm at the reference size (2048 x 768 x 256, the GPT bench's QKV product). */
function gemmGflops(k: Kernels, M = 2048, N = 768, K = 256): number {
  const A = new Float32Array(M * K).map((_, i) => ((i * 7919) % 97) / 97 - 0.5);
  const B = new Float32Array(K * N).map((_, i) => ((i * 104729) % 89) / 89 - 0.5);
  const C = new Float32Array(M * N);
  const call = () => k.gemm(false, false, M, N, K, 1, A, 0, K, 0, B, 0, N, 0, 0, C, 0, N, 0, 1);
  call();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < 3; r++) {
    let n = 0;
    const t0 = performance.now();
    while (n < 1 || performance.now() - t0 < 100) {
      call();
      n++;
    }
    best = Math.min(best, (performance.now() - t0) / n);
  }
  return (2 * M * N * K) / best / 1e6;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('print the kernel backend, build, BLAS, CPU features, why these kernels, and gemm vs peak')
    .option('--json', 'print one JSON object')
    .option('--select', 'measure and verify the kernel choices again (rewrites build/Release/kernels.json)')
    .option('--no-measure', 'skip the gemm and peak measurements')
    .action((opts: { json?: boolean; select?: boolean; measure: boolean }) => {
      if (opts.select) {
        const r = spawnSync(process.execPath, [join(packageRoot(), 'native', 'select-kernels.mjs')], {
          stdio: opts.json ? 'ignore' : 'inherit',
        });
        if (r.status !== 0) throw new Error('kernel selection failed (see above)');
      }
      const k = kernels();
      const info = k.info();
      const sel = info.backend === 'native' ? readKernelSelection() : null;
      const report: Record<string, unknown> = {
        ...info,
        reason: backendReason(),
        cpu: sel?.cpuFeatures.join(' ') ?? '',
        selection: sel ? `${JSON.stringify(sel.chosen)}: ${sel.reason}` : 'none',
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
      };
      if (opts.measure) {
        const gemm = gemmGflops(k);
        const peak = info.backend === 'native' ? nativePeakGflops() : null;
        report.gemmGflops = Number(gemm.toFixed(1));
        report.peakGflops = peak === null ? null : Number(peak.toFixed(1));
        report.gemmOfPeak = peak === null ? null : Number((gemm / peak).toFixed(3));
      }
      if (opts.json) {
        console.log(JSON.stringify({ ...report, tried: sel?.tried ?? [] }));
        return;
      }
      console.log(
        formatTable(
          ['setting', 'value'],
          Object.entries(report).map(([key, v]) => [key, String(v)]),
        ),
      );
      if (sel) {
        console.log();
        const tried = sel.tried.map((t) => [
          t.label,
          t.ok ? `${t.gflops?.toFixed(1)} GFLOPS` : `failed: ${t.error ?? 'wrong results'}`,
        ]);
        console.log(formatTable(['kernels tried', 'result'], tried));
      }
    });
}

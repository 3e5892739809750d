// Streaming progress of sampling on stderr: a live bar of image codes (or a count of text tokens) when
// stderr is a terminal, nothing when it is a pipe or file (so scripted output stays clean).
import type { Progress } from '../infer/index.js';

export function streamProgress(label: string, out: NodeJS.WriteStream = process.stderr): (p: Progress) => void {
  if (!out.isTTY) return () => {};
  return (p) => {
    if (p.total === null) {
      out.write(`\r${label}: ${p.done} text tokens\x1b[K`);
      return;
    }
    const width = 24;
    const bar = '#'.repeat(Math.round((p.done / p.total) * width)).padEnd(width, '.');
    out.write(`\r${label} [${bar}] ${p.done}/${p.total} codes\x1b[K`);
    if (p.done === p.total) out.write('\r\x1b[K');
  };
}

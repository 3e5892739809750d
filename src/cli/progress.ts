// Streaming progress of sampling on stderr: a live bar of image codes (or a count of text tokens) when
// stderr is a terminal, nothing when it is a pipe or file (so scripted output stays clean).
import type { Progress } from '../infer/index.js';
import { progressBar } from '../train/index.js';

export function streamProgress(label: string, out: NodeJS.WriteStream = process.stderr): (p: Progress) => void {
  if (!out.isTTY) return () => {};
  return (p) => {
    if (p.total === null) {
      out.write(`\r${label}: ${p.done} text tokens\x1b[K`);
      return;
    }
    out.write(`\r${label} ${progressBar(p.done / p.total)} ${p.done}/${p.total} codes\x1b[K`);
    if (p.done === p.total) out.write('\r\x1b[K');
  };
}

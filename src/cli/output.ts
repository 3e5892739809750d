// Where the CLI writes files, one rule for every command (docs/inference.md, "Output files"): with no -o,
// images go to ./out/ as KIND-N.png, N the next number after the highest of that kind already there, so
// a run never replaces an earlier one; a path named with -o (or --grid, --out FILE) that already exists is
// refused with a hint unless --force is given. Files are opened with the exclusive flag ('wx'), so the
// check and the write cannot race with another process.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The folder images go to when no -o is given. */
export const DEFAULT_OUT_DIR = 'out';

/** A named output path that already exists and --force was not given. */
export class OutputExistsError extends Error {
  override name = 'OutputExistsError';
  constructor(readonly path: string) {
    super(
      `${path} already exists; HINT: give another path, leave -o out to number a new file, or --force to replace it`,
    );
  }
}

/** n fresh paths DIR/KIND-N.EXT numbered after the highest existing KIND-N.EXT in dir (from 0 in a new one). */
export function numberedPaths(dir: string, kind: string, n: number, ext = 'png'): string[] {
  const re = new RegExp(`^${kind.replace(/[^A-Za-z0-9_]/g, '\\$&')}-(\\d+)\\.${ext}$`);
  let next = 0;
  if (existsSync(dir))
    for (const f of readdirSync(dir)) {
      const m = re.exec(f);
      if (m) next = Math.max(next, Number(m[1]) + 1);
    }
  return Array.from({ length: n }, (_, i) => join(dir, `${kind}-${next + i}.${ext}`));
}

/** Refuses a named path that exists (unless force): for commands that check before a long computation. */
export function checkWritable(path: string, force = false): void {
  if (!force && existsSync(path)) throw new OutputExistsError(path);
}

/** Writes a file, creating its folder; an existing file is refused (OutputExistsError) unless force. */
export function writeOutput(path: string, bytes: Uint8Array | string, force = false): void {
  mkdirSync(dirname(path), { recursive: true });
  try {
    writeFileSync(path, bytes, { flag: force ? 'w' : 'wx' });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new OutputExistsError(path);
    throw e;
  }
}

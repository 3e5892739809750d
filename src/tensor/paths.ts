// Where the installed tessera package lives (the folder with its package.json), so that shipped files
// (the native addon, models/) are found wherever the command is run from.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`tessera: package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return dir;
}

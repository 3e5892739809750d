// Where a checkpoint's files come from: a folder on disk (node:fs), or bytes in memory (what a web browser
// fetched). The checkpoint, VQ-VAE and model loaders read through this one interface, so every check they
// make (sizes before allocating, CRC, limits, the CheckpointError messages) applies to both.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface FileSource {
  /** Where the files are (a folder or a URL), for messages. */
  readonly where: string;
  /** The name of a file as messages show it (the folder joined with the name). */
  path(name: string): string;
  /** The size in bytes without reading the file, or null when there is no such file. */
  size(name: string): number | null;
  /** The bytes of a file, or null when there is no such file. */
  read(name: string): Uint8Array | null;
  /** Whether a file or a folder of that name exists. */
  exists(name: string): boolean;
  /** The files of a nested folder (a nested checkpoint, such as the model's image tokenizer). */
  sub(name: string): FileSource;
}

/** The files of a folder on disk. */
export function folderFiles(dir: string): FileSource {
  return {
    where: dir,
    path: (name) => join(dir, name),
    size: (name) => {
      const p = join(dir, name);
      return existsSync(p) ? statSync(p).size : null;
    },
    read: (name) => {
      const p = join(dir, name);
      return existsSync(p) ? readFileSync(p) : null;
    },
    exists: (name) => existsSync(join(dir, name)),
    sub: (name) => folderFiles(join(dir, name)),
  };
}

/** Files held in memory, by path relative to `where` ("config.json", "image-tokenizer/weights.safetensors"). */
export function memoryFiles(files: ReadonlyMap<string, Uint8Array>, where: string): FileSource {
  const base = where.replace(/\/+$/, '');
  return {
    where,
    path: (name) => `${base}/${name}`,
    size: (name) => files.get(name)?.length ?? null,
    read: (name) => files.get(name) ?? null,
    exists: (name) => files.has(name) || [...files.keys()].some((k) => k.startsWith(`${name}/`)),
    sub: (name) => {
      const inner = new Map<string, Uint8Array>();
      for (const [k, v] of files) if (k.startsWith(`${name}/`)) inner.set(k.slice(name.length + 1), v);
      return memoryFiles(inner, `${base}/${name}`);
    },
  };
}

/** A file's text (UTF-8), or null when there is no such file. */
export function readText(files: FileSource, name: string): string | null {
  const bytes = files.read(name);
  return bytes === null ? null : new TextDecoder().decode(bytes);
}

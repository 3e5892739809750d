// One writer per folder: a lock file (FOLDER/.tessera.lock, created with O_EXCL) that names the process
// holding it. A second writer is refused with a message naming that process; a lock left by a process
// that no longer runs (killed, crashed) is recovered. Used by training runs, chat sessions and anything
// else that writes a folder another process might write at the same time.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = '.tessera.lock';

export class FolderLockedError extends Error {
  override name = 'FolderLockedError';
  constructor(
    readonly folder: string,
    readonly holder: { pid: number; host: string; command: string; since: string },
  ) {
    super(
      `${folder} is in use by process ${holder.pid} (${holder.command}, since ${holder.since}); ` +
        'HINT: wait for it to finish, or use another folder',
    );
  }
}

interface Holder {
  pid: number;
  host: string;
  command: string;
  since: string;
}

/** Whether a process of this machine with this pid runs (EPERM: it runs, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function statSafe(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function readHolder(file: string): Holder | null {
  try {
    const h = JSON.parse(readFileSync(file, 'utf8')) as Holder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' ? h : null;
  } catch {
    return null;
  }
}

export interface FolderLock {
  readonly folder: string;
  release(): void;
}

const held = new Map<string, FolderLock>();
let exitHook = false;

/**
 * Takes the folder's lock (creating the folder) for this process until release() or exit. Throws
 * FolderLockedError when a live process holds it; a stale lock (its process gone, or unreadable) is
 * replaced. Taking a lock this process already holds returns it.
 */
export function lockFolder(folder: string, command = process.argv.slice(2, 3).join(' ') || 'tessera'): FolderLock {
  const existing = held.get(folder);
  if (existing) return existing;
  mkdirSync(folder, { recursive: true });
  const file = join(folder, LOCK_FILE);
  const me: Holder = { pid: process.pid, host: hostname(), command, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      const lock: FolderLock = {
        folder,
        release: () => {
          if (held.get(folder) !== lock) return;
          held.delete(folder);
          if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
        },
      };
      held.set(folder, lock);
      if (!exitHook) {
        exitHook = true;
        process.on('exit', () => {
          for (const l of [...held.values()]) l.release();
        });
      }
      return lock;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const h = readHolder(file);
      // a lock being written right now reads as nothing for a moment: only an old unreadable one is stale
      if (h === null && Date.now() - statSafe(file) < 5000)
        throw new FolderLockedError(folder, { pid: 0, host: '?', command: 'a lock being written', since: 'now' });
      // another host's lock cannot be checked: honour it; a live local process: refuse
      if (h && (h.host !== hostname() || (processAlive(h.pid) && h.pid !== process.pid)))
        throw new FolderLockedError(folder, h);
      rmSync(file, { force: true }); // stale (dead process, unreadable, or ours from before): recover
    }
  }
  throw new Error(`${folder}: could not take the lock ${file} (it keeps reappearing)`);
}

import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Who holds a state directory: written into its lock file. */
interface LockHolder {
  pid: number;
  /** ISO-8601 instant the holder started. */
  startedAt: string;
}

export const LOCK_FILE_NAME = 'process.lock';

/** Another live process holds the state directory. */
export class StateDirectoryInUseError extends Error {
  constructor(
    readonly stateDirectory: string,
    readonly holder: LockHolder,
    /** What the user can do instead, e.g. "set SCOPED_STORAGE_STATE_DIR". */
    howToChooseAnother: string,
  ) {
    super(`State directory ${stateDirectory} is in use by process ${holder.pid} (started ${holder.startedAt}); stop it or ${howToChooseAnother}.`);
  }
}

interface StateDirectoryLock {
  path: string;
  /** Removes the lock file (if it is still ours); also done when the process exits. */
  release(): void;
}

/** Tries to take over a stale lock this many times before giving up (others may be racing for it). */
const TAKE_OVER_ATTEMPTS = 5;

/**
 * Two processes over one state directory would overwrite each other's outputs, data and
 * secrets, so each entry point (`npm start`, `npm run local`) holds it: a lock file created with
 * exclusive create, holding the pid. A lock whose process is gone (killed, crashed) is taken over.
 */
export async function lockStateDirectory(stateDirectory: string, options: { howToChooseAnother: string }): Promise<StateDirectoryLock> {
  await mkdir(stateDirectory, { recursive: true });
  const path = join(stateDirectory, LOCK_FILE_NAME);
  const mine: LockHolder = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < TAKE_OVER_ATTEMPTS; attempt += 1) {
    try {
      await writeFile(path, JSON.stringify(mine), { flag: 'wx', mode: 0o600 });
      return holdLock(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = await readHolder(path);
    if (holder && isAlive(holder.pid)) throw new StateDirectoryInUseError(stateDirectory, holder, options.howToChooseAnother);
    await removeStaleLock(path);
  }
  const holder = await readHolder(path);
  throw new StateDirectoryInUseError(stateDirectory, holder ?? { pid: 0, startedAt: 'unknown' }, options.howToChooseAnother);
}

function holdLock(path: string): StateDirectoryLock {
  const release = () => {
    process.off('exit', release);
    try {
      if ((JSON.parse(readFileSync(path, 'utf8')) as LockHolder).pid === process.pid) unlinkSync(path);
    } catch {
      // Already gone or taken over: nothing of ours to remove.
    }
  };
  process.on('exit', release);
  return { path, release };
}

/** `undefined` when the file is gone or unreadable (a holder that died between create and write). */
async function readHolder(path: string): Promise<LockHolder | undefined> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      const parsed = JSON.parse(text) as Partial<LockHolder>;
      if (Number.isInteger(parsed.pid) && typeof parsed.startedAt === 'string') return { pid: parsed.pid!, startedAt: parsed.startedAt };
    } catch {
      // A holder between its exclusive create and its write: look once more.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves the lock aside before deleting it, so a racer's fresh lock created meanwhile is never
 * deleted by mistake: if what was moved belongs to a live process, it is put back.
 */
async function removeStaleLock(path: string): Promise<void> {
  const aside = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = await readHolder(aside);
  if (moved && isAlive(moved.pid)) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
}

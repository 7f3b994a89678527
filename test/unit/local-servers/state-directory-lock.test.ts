import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE_NAME, lockStateDirectory, StateDirectoryInUseError } from '../../../infra/local/state-directory-lock.ts';

const HINT = { howToChooseAnother: 'set SCOPED_STORAGE_STATE_DIR to use another one' };

/** The pid of a process that has exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('the state directory lock', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'state-lock-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });
  const lockFile = () => join(directory, 'state', LOCK_FILE_NAME);
  const holderOnDisk = async () => JSON.parse(await readFile(lockFile(), 'utf8')) as { pid: number; startedAt: string };

  it('creates the directory and a lock file holding this pid; release removes it', async () => {
    const lock = await lockStateDirectory(join(directory, 'state'), HINT);
    expect(await holderOnDisk()).toEqual({ pid: process.pid, startedAt: expect.any(String) });
    lock.release();
    expect(await readdir(join(directory, 'state'))).toEqual([]);
  });

  it('refuses a directory a live process holds, naming it and when it started', async () => {
    await lockStateDirectory(join(directory, 'state'), HINT);
    const error = await lockStateDirectory(join(directory, 'state'), HINT).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(StateDirectoryInUseError);
    const { startedAt } = await holderOnDisk();
    expect((error as Error).message).toBe(`State directory ${join(directory, 'state')} is in use by process ${process.pid} (started ${startedAt}); stop it or set SCOPED_STORAGE_STATE_DIR to use another one.`);
  });

  it('takes over a lock whose process is gone, and one that is not a lock at all', async () => {
    await lockStateDirectory(join(directory, 'state'), HINT).then((lock) => lock.release());
    await writeFile(lockFile(), JSON.stringify({ pid: deadPid(), startedAt: '2026-01-01T00:00:00.000Z' }));
    const lock = await lockStateDirectory(join(directory, 'state'), HINT);
    expect((await holderOnDisk()).pid).toBe(process.pid);
    lock.release();
    await writeFile(lockFile(), 'garbage');
    await lockStateDirectory(join(directory, 'state'), HINT);
    expect((await holderOnDisk()).pid).toBe(process.pid);
    expect(await readdir(join(directory, 'state'))).toEqual([LOCK_FILE_NAME]);
  });

  it('release leaves a lock that another process took over', async () => {
    const lock = await lockStateDirectory(join(directory, 'state'), HINT);
    const other = { pid: deadPid(), startedAt: '2026-01-01T00:00:00.000Z' };
    await writeFile(lockFile(), JSON.stringify(other));
    lock.release();
    expect(await holderOnDisk()).toEqual(other);
  });
});

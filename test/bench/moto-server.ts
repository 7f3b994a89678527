import { spawnCommand, type BenchProcess } from './bench-processes.ts';

/** moto's standalone server (`moto_server`, Python), started when it is installed on this machine. */
export type MotoServer = BenchProcess & { port: number };

/** The outcome of trying to start moto: the server, or why there is none (not installed, too slow). */
export type MotoStart = { server: MotoServer } | { skipped: string };

export async function startMotoServer(startTimeoutMs: number): Promise<MotoStart> {
  // Port 0: moto binds a free one and prints it ("Running on http://127.0.0.1:<port>").
  const moto = spawnCommand('moto_server', ['-H', '127.0.0.1', '-p', '0']);
  const spawnError = await new Promise<Error | undefined>((resolve) => {
    moto.child.once('error', resolve);
    moto.child.once('spawn', () => resolve(undefined));
  });
  if (spawnError) return { skipped: `moto_server could not be started (${(spawnError as NodeJS.ErrnoException).code ?? spawnError.message}); install it with pip install 'moto[server]'` };
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    const match = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(moto.output());
    if (match) return { server: { ...moto, port: Number(match[1]) } };
    if (moto.child.exitCode !== null) return { skipped: `moto_server exited during start-up: ${moto.output().slice(-300)}` };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await moto.stop();
  return { skipped: `moto_server did not start within ${startTimeoutMs / 1000} s` };
}

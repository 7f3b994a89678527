import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScopedStorageClient } from '../../../app/library/index.ts';
import { createNodeStorageClient } from '../../../app/library/node/create-node-storage-client.ts';
import { startMainJob, type MainJobOptions, type RunningMainJob } from '../../../infra/local/main-job.ts';
import type { LocalCloudOptions } from '../../../infra/local/local-cloud-options.ts';

type ClientOptions = Omit<Parameters<typeof createNodeStorageClient>[1], 'getSessionToken'>;

export interface MainJobFixture {
  job: RunningMainJob;
  stateDirectory: string;
  outputsPath: string;
  /** The local development sign-in of the token service: `POST /v1/dev/session`. */
  sessionFor(user: string, tenant?: string): Promise<string>;
  /** A library client signed in as `user`, configured from the outputs file as an app would. */
  clientFor(user: string, options?: ClientOptions & { tenant?: string }): Promise<ScopedStorageClient>;
  /** An anonymous GET through node:https trusting the local CA (what a share link's recipient does). */
  fetchAnonymously(url: string): Promise<{ status: number; body: Buffer }>;
  close(): Promise<void>;
}

/** `npm start` in-process: local cloud, token service (local mode) and web page, in a temporary state directory. */
export async function startMainJobFixture(
  cloud: Omit<LocalCloudOptions, 'stack' | 'tokenServiceUrl' | 'stateDirectory'> = {},
  jobOptions: Pick<MainJobOptions, 'allowedHosts'> = {},
): Promise<MainJobFixture> {
  const stateDirectory = await mkdtemp(join(tmpdir(), 'main-job-'));
  const job = await startMainJob({ ...jobOptions, pagePort: 0, cloud: { ...cloud, stateDirectory }, tokenServiceLog: false });
  const caCertificate = await readFile(job.cloud.caCertificatePath);

  const sessionFor = (user: string, tenant?: string) => developmentSessionToken(job.tokenService.url, user, tenant);

  return {
    job,
    stateDirectory,
    outputsPath: job.cloud.outputsPath,
    sessionFor,
    async clientFor(user, options = {}) {
      const { tenant, ...clientOptions } = options;
      const sessionToken = await sessionFor(user, tenant);
      return createNodeStorageClient(job.cloud.outputsPath, { ...clientOptions, getSessionToken: () => sessionToken });
    },
    fetchAnonymously: (url) =>
      new Promise((resolve, reject) => {
        request(url, { ca: caCertificate, agent: false }, (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }));
        })
          .on('error', reject)
          .end();
      }),
    async close() {
      await job.close();
      await rm(stateDirectory, { recursive: true, force: true });
    },
  };
}

/** A session token from the token service's development sign-in (local mode only). */
export async function developmentSessionToken(tokenServiceUrl: string, user: string, tenant?: string): Promise<string> {
  const response = await fetch(`${tokenServiceUrl}/v1/dev/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, ...(tenant ? { tenant } : {}) }),
  });
  if (!response.ok) throw new Error(`dev sign-in failed: HTTP ${response.status} ${await response.text()}`);
  return ((await response.json()) as { sessionToken: string }).sessionToken;
}

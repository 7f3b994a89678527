import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKET, REGION, startLocalS3, type LocalS3, type TestIdentity } from './local-s3-fixture.ts';

/**
 * The AWS CLI v1 (Python, `aws`) against the local S3: its ListObjects (v1) and ListObjectsV2
 * paginators, which send `encoding-type=url` and decode what comes back, and follow NextMarker,
 * the last key or continuation tokens. The CLI is on developers' and CI machines; without it these
 * tests fail (they do not skip).
 */
let s3: LocalS3;
let configDirectory: string;
const NAMES = ['a.txt', 'b b.txt', 'c+c.txt', 'photos/1.jpg', 'photos/2.jpg', 'videos/v.mp4', 'z.txt'];
const prefix = (): string => `${s3.alice.prefix}cli/`;

interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

function runAws(identity: TestIdentity, args: string[]): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('AWS_')));
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: identity.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: identity.credentials.secretAccessKey,
    AWS_SESSION_TOKEN: identity.credentials.sessionToken,
    AWS_DEFAULT_REGION: REGION,
    AWS_CONFIG_FILE: join(configDirectory, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(configDirectory, 'no-credentials'),
    // The CLI v2 (Debian's awscli) would page its output through less.
    AWS_PAGER: '',
  });
  return new Promise((resolve, reject) => {
    execFile('aws', [...args, '--endpoint-url', s3.endpoint, '--output', 'json'], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new Error('The AWS CLI (`aws`) is not on PATH. These tests run it against the local S3: install it (pip install awscli) and run them again.'));
        return;
      }
      resolve({ exitCode: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function awsJson(args: string[]): Promise<Record<string, unknown>> {
  const result = await runAws(s3.alice, args);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}

function keysOf(output: Record<string, unknown>): string[] {
  return ((output.Contents ?? []) as Array<{ Key: string }>).map((object) => object.Key);
}

function prefixesOf(output: Record<string, unknown>): string[] {
  return ((output.CommonPrefixes ?? []) as Array<{ Prefix: string }>).map((common) => common.Prefix);
}

beforeAll(async () => {
  s3 = await startLocalS3();
  configDirectory = await mkdtemp(join(tmpdir(), 'aws-cli-config-'));
  // Path-style addressing: there is no DNS for bucket subdomains on loopback.
  await writeFile(join(configDirectory, 'config'), '[default]\ns3 =\n  addressing_style = path\n');
  for (const name of NAMES) await s3.alice.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix()}${name}`, Body: name }));
});
afterAll(async () => {
  await s3?.close();
  if (configDirectory) await rm(configDirectory, { recursive: true, force: true });
});

describe('the AWS CLI v1 against the local S3', () => {
  test('s3api list-objects (v1) lists keys with spaces and plus signs intact and rolls up common prefixes', async () => {
    const output = await awsJson(['s3api', 'list-objects', '--bucket', BUCKET, '--prefix', prefix(), '--delimiter', '/']);
    expect(keysOf(output)).toEqual(['a.txt', 'b b.txt', 'c+c.txt', 'z.txt'].map((name) => `${prefix()}${name}`));
    expect(prefixesOf(output)).toEqual([`${prefix()}photos/`, `${prefix()}videos/`]);
  });

  test('s3api list-objects pages one key at a time: through the last key without a delimiter, through NextMarker with one', async () => {
    const flat = await awsJson(['s3api', 'list-objects', '--bucket', BUCKET, '--prefix', prefix(), '--page-size', '2']);
    expect(keysOf(flat)).toEqual(NAMES.map((name) => `${prefix()}${name}`));
    const delimited = await awsJson(['s3api', 'list-objects', '--bucket', BUCKET, '--prefix', prefix(), '--delimiter', '/', '--page-size', '1']);
    expect(keysOf(delimited)).toEqual(['a.txt', 'b b.txt', 'c+c.txt', 'z.txt'].map((name) => `${prefix()}${name}`));
    expect(prefixesOf(delimited)).toEqual([`${prefix()}photos/`, `${prefix()}videos/`]);
  });

  test.each(['list-objects', 'list-objects-v2'])('s3api %s with --max-items resumes from its NextToken until every key is listed once', async (command) => {
    const seen: string[] = [];
    let startingToken: string | undefined;
    let calls = 0;
    do {
      const output = await awsJson(['s3api', command, '--bucket', BUCKET, '--prefix', prefix(), '--max-items', '3', '--page-size', '2', ...(startingToken ? ['--starting-token', startingToken] : [])]);
      calls++;
      seen.push(...keysOf(output));
      startingToken = output.NextToken as string | undefined;
    } while (startingToken !== undefined && calls < 10);
    expect(calls).toBe(3);
    expect(seen).toEqual(NAMES.map((name) => `${prefix()}${name}`));
  });

  test('listing another identity prefix fails with AccessDenied', async () => {
    const result = await runAws(s3.alice, ['s3api', 'list-objects', '--bucket', BUCKET, '--prefix', s3.bob.prefix]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('AccessDenied');
  });
});

import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAccessMatrix } from '../../../infra/policy-tools/access-matrix.ts';
import { decideForPersona } from '../../../infra/policy-tools/persona-request.ts';
import { findPersona, keyFor } from '../../../infra/policy-tools/personas.ts';
import { loadStackPolicies, type StackPolicies } from '../../../infra/policy-tools/stack-policies.ts';
import { synthesizeStackTemplate, type SynthesizedTemplate } from '../../../infra/stack/synthesize-stack-template.ts';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'infra/policy-tools/cli.ts'];
const directory = mkdtempSync(join(tmpdir(), 'policy-tools-delivery-'));

/** The stack as `cdk synth -c delivery=true [-c requireEncryptionHeader=true]` writes it, in a file for --template. */
function templateFile(name: string, options: { requireEncryptionHeader: boolean }, edit: (template: SynthesizedTemplate['template']) => void = () => {}): string {
  const { template } = synthesizeStackTemplate(mkdtempSync(join(directory, `${name}-`)), { delivery: true, ...options });
  edit(template);
  const file = join(directory, `${name}.template.json`);
  writeFileSync(file, JSON.stringify(template));
  return file;
}

/** Runs the admin CLI; resolves with its exit code and output whether it succeeds or fails. */
function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [...CLI, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

let plainFile: string;
let requiredFile: string;
let plain: StackPolicies;
let required: StackPolicies;

beforeAll(async () => {
  plainFile = templateFile('delivery', { requireEncryptionHeader: false });
  requiredFile = templateFile('delivery-encryption-header', { requireEncryptionHeader: true });
  plain = await loadStackPolicies(plainFile);
  required = await loadStackPolicies(requiredFile);
});

/** The matrix's allowed cells, as "persona operation key class". */
function allowedCells(stack: StackPolicies): string[] {
  return buildAccessMatrix(stack)
    .filter((cell) => cell.allowed)
    .map((cell) => `${cell.persona} ${cell.operation} ${cell.keyClass}`)
    .sort();
}

describe('the admin tools on a delivery template (the key pair custom resource resolves locally)', () => {
  it('matrix, check and explain answer from the command line instead of exiting 2', async () => {
    const matrix = await runCli(['--template', requiredFile, 'matrix']);
    expect(matrix.stderr).not.toContain('has no attribute');
    expect(matrix.code).toBe(0);
    expect(matrix.stdout).toMatch(/^alice: /m);

    const check = await runCli(['--template', requiredFile, 'check', 'infra/access-rules/default-expectations.txt']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toMatch(/(\d+) of \1 expectations hold\./);

    const explained = await runCli(['--template', requiredFile, 'explain', '--as', 'alice', '--action', 'put', '--key', 'private:a.txt']);
    expect(explained.code, explained.stderr).toBe(0);
    expect(explained.stdout).toContain('ALLOWED');
    const otherFolder = await runCli(['--template', requiredFile, 'explain', '--as', 'alice', '--action', 'put', '--key', 'users/{other}/a.txt']);
    expect(otherFolder.code).toBe(1);
    expect(otherFolder.stdout).toContain('DENIED');
  });

  it('gives the same matrix with and without delivery: the distribution changes no persona\'s access', async () => {
    const withoutDelivery = await loadStackPolicies();
    expect(allowedCells(plain)).toEqual(allowedCells(withoutDelivery));
    expect(allowedCells(plain).length).toBeGreaterThan(0);
  });
});

describe('uploads under requireEncryptionHeader, as the client library sends them', () => {
  it('reads the header the library sends from the template: AES256 when required, none otherwise', () => {
    expect(required.uploadEncryption).toBe('AES256');
    expect(plain.uploadEncryption).toBeUndefined();
  });

  it('allows the same puts and copies as without the requirement, each naming AES256', () => {
    expect(allowedCells(required)).toEqual(allowedCells(plain));
    const alice = findPersona('alice');
    const put = decideForPersona(required, alice, 'put', keyFor('users/{self}/a.txt', alice));
    expect(put.allowed).toBe(true);
    expect(put.checks[0]!.request.context['s3:x-amz-server-side-encryption']).toBe('AES256');
    const copy = decideForPersona(required, alice, 'copy-from', keyFor('shared/a.txt', alice));
    expect(copy.allowed).toBe(true);
    expect(copy.checks[1]!.request.context['s3:x-amz-server-side-encryption']).toBe('AES256');
  });

  it('still denies puts into another identity\'s folder, the prefix neighbour and another tenant', () => {
    const alice = findPersona('alice');
    for (const key of ['users/{other}/a.txt', 'users/{self}x/a.txt', 'tenants/{otherTenant}/a.txt', 'protected/{other}/a.txt', 'a.txt']) {
      expect(decideForPersona(required, alice, 'put', keyFor(key, alice)).allowed, key).toBe(false);
    }
  });

  it('leaves a raw s3:PutObject a bare request, which the bucket policy\'s deny refuses and explain names', async () => {
    const alice = findPersona('alice');
    const bare = decideForPersona(required, alice, 's3:PutObject', keyFor('users/{self}/a.txt', alice));
    expect(bare.allowed).toBe(false);
    expect(bare.checks[0]!.result.deciding.map((reference) => reference.sid)).toContain('DenyUploadsWithoutEncryptionHeader');
    const explained = await runCli(['--template', requiredFile, 'explain', '--as', 'alice', '--action', 's3:PutObject', '--key', 'private:a.txt']);
    expect(explained.code).toBe(1);
    expect(explained.stdout).toContain('DenyUploadsWithoutEncryptionHeader');
  });

  it('names aws:kms for a KMS-encrypted bucket, which the bucket policy requires there', async () => {
    const file = templateFile('delivery-kms', { requireEncryptionHeader: true }, (template) => {
      // As a KMS deployment synthesizes: the bucket's default encryption and the deny of other algorithms name aws:kms.
      const text = JSON.stringify(template)
        .replace('"SSEAlgorithm":"AES256"', '"SSEAlgorithm":"aws:kms"')
        .replace('"s3:x-amz-server-side-encryption":"AES256"', '"s3:x-amz-server-side-encryption":"aws:kms"');
      Object.assign(template, JSON.parse(text));
    });
    const kms = await loadStackPolicies(file);
    expect(kms.uploadEncryption).toBe('aws:kms');
    const alice = findPersona('alice');
    const put = decideForPersona(kms, alice, 'put', keyFor('users/{self}/a.txt', alice));
    expect(put.checks[0]!.request.context['s3:x-amz-server-side-encryption']).toBe('aws:kms');
    expect(put.allowed).toBe(true);
    // The AES256 template's deny of other algorithms refuses aws:kms: the header follows the bucket.
    expect(decideForPersona({ ...required, uploadEncryption: 'aws:kms' }, alice, 'put', keyFor('users/{self}/a.txt', alice)).allowed).toBe(false);
  });
});

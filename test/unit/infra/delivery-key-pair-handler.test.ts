import { createPrivateKey, createPublicKey, createSign, createVerify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/**
 * The key pair custom resource's Lambda handler, run as Lambda would run it: the real AWS SDK
 * client talks to a small stand-in of Secrets Manager's JSON API on loopback (the local cloud has
 * no Secrets Manager), and the handler answers CloudFormation through its pre-signed response URL,
 * here a loopback URL that records the answer.
 */

interface StoredSecret {
  name: string;
  arn: string;
  value: string;
  deletion?: { recoveryWindowInDays?: number; force?: boolean };
}

const secrets = new Map<string, StoredSecret>();
const calls: Array<{ target: string; body: Record<string, unknown> }> = [];
const responses = new Map<string, { body: Record<string, unknown>; contentType: string | undefined }>();
let server: Server;
let baseUrl: string;
let handler: (event: Record<string, unknown>) => Promise<void>;

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function secretsManager(target: string, body: Record<string, unknown>): { status: number; body: Record<string, unknown> } {
  calls.push({ target, body });
  const find = (id: unknown) => [...secrets.values()].find((secret) => secret.arn === id || secret.name === id);
  switch (target) {
    case 'CreateSecret': {
      const name = String(body.Name);
      if (find(name)) return { status: 400, body: { __type: 'ResourceExistsException', message: 'exists' } };
      const arn = `arn:aws:secretsmanager:eu-west-1:111122223333:secret:${name}-AbCdEf`;
      secrets.set(arn, { name, arn, value: String(body.SecretString) });
      return { status: 200, body: { ARN: arn, Name: name } };
    }
    case 'GetSecretValue': {
      const secret = find(body.SecretId);
      if (!secret || secret.deletion) return { status: 400, body: { __type: 'ResourceNotFoundException', message: 'not found' } };
      return { status: 200, body: { ARN: secret.arn, Name: secret.name, SecretString: secret.value } };
    }
    case 'DeleteSecret': {
      const secret = find(body.SecretId);
      if (!secret) return { status: 400, body: { __type: 'ResourceNotFoundException', message: 'not found' } };
      secret.deletion = { recoveryWindowInDays: body.RecoveryWindowInDays as number | undefined, force: body.ForceDeleteWithoutRecovery as boolean | undefined };
      return { status: 200, body: { ARN: secret.arn, Name: secret.name, DeletionDate: Date.now() / 1000 + 7 * 86_400 } };
    }
    default:
      return { status: 400, body: { __type: 'InvalidRequestException', message: `unexpected ${target}` } };
  }
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void readBody(request).then((text) => {
      if (request.method === 'PUT' && request.url?.startsWith('/cloudformation/')) {
        responses.set(request.url.slice('/cloudformation/'.length), { body: JSON.parse(text) as Record<string, unknown>, contentType: request.headers['content-type'] });
        response.writeHead(200).end();
        return;
      }
      const target = String(request.headers['x-amz-target'] ?? '').replace('secretsmanager.', '');
      const answer = secretsManager(target, JSON.parse(text || '{}') as Record<string, unknown>);
      response.writeHead(answer.status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: baseUrl,
  });
  ({ handler } = (await import('../../../infra/construct/cdn-key-pair/cdn-key-pair-handler.ts')) as unknown as { handler: typeof handler });
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  calls.length = 0;
});

let requests = 0;
function event(requestType: 'Create' | 'Update' | 'Delete', extra: Record<string, unknown> = {}): Record<string, unknown> & { RequestId: string } {
  const id = `request-${++requests}`;
  return {
    RequestType: requestType,
    ResponseURL: `${baseUrl}/cloudformation/${id}`,
    StackId: 'arn:aws:cloudformation:eu-west-1:111122223333:stack/ScopedStorage/guid',
    RequestId: id,
    LogicalResourceId: 'StorageDeliveryKeyPairA1234ABCD',
    ResourceType: 'Custom::CloudFrontKeyPair',
    ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:111122223333:function:f', SecretNamePrefix: 'ScopedStorage/cdn-key-a', Description: 'slot a' },
    ...extra,
  };
}

async function create(): Promise<{ answer: Record<string, unknown>; secret: StoredSecret }> {
  const request = event('Create');
  await handler(request);
  const answer = responses.get(request.RequestId)!.body;
  return { answer, secret: secrets.get(String(answer.PhysicalResourceId))! };
}

describe('Custom::CloudFrontKeyPair handler', () => {
  it('Create: an RSA 2048 key pair, the private key only in a new secret, the public key and the secret ARN to CloudFormation', async () => {
    const { answer, secret } = await create();
    expect(answer).toMatchObject({ Status: 'SUCCESS', StackId: expect.stringContaining('stack/ScopedStorage'), LogicalResourceId: 'StorageDeliveryKeyPairA1234ABCD', NoEcho: false });
    expect(secret.name).toMatch(/^ScopedStorage\/cdn-key-a-[0-9a-f]{8}$/);
    expect(answer.PhysicalResourceId).toBe(secret.arn);
    const data = answer.Data as { PublicKeyPem: string; SecretArn: string };
    expect(data.SecretArn).toBe(secret.arn);
    expect(data.PublicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    const privateKey = createPrivateKey(secret.value);
    expect(privateKey.asymmetricKeyType).toBe('rsa');
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    // The two halves belong together: what the secret signs, the published key verifies.
    const signature = createSign('RSA-SHA256').update('policy').sign(privateKey);
    expect(createVerify('RSA-SHA256').update('policy').verify(createPublicKey(data.PublicKeyPem), signature)).toBe(true);
    expect(JSON.stringify(answer)).not.toContain('PRIVATE KEY');
  });

  it('answers with an empty content type, as the pre-signed response URL was signed', async () => {
    const request = event('Create');
    await handler(request);
    expect(responses.get(request.RequestId)!.contentType ?? '').toBe('');
  });

  it('creates a new secret name each time, so a deleted slot\'s name (still reserved) is never reused', async () => {
    const first = await create();
    const second = await create();
    expect(first.secret.name).not.toBe(second.secret.name);
  });

  it('Update: the same key pair, its public key derived again from the secret, no new secret', async () => {
    const { answer } = await create();
    const request = event('Update', { PhysicalResourceId: answer.PhysicalResourceId, OldResourceProperties: { SecretNamePrefix: 'ScopedStorage/cdn-key-a' } });
    calls.length = 0;
    await handler(request);
    const updated = responses.get(request.RequestId)!.body;
    expect(updated).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: answer.PhysicalResourceId, Data: answer.Data });
    expect(calls.map((call) => call.target)).toEqual(['GetSecretValue']);
  });

  it('Delete: schedules the secret\'s deletion with a 7-day recovery window, never a forced deletion', async () => {
    const { answer, secret } = await create();
    const request = event('Delete', { PhysicalResourceId: answer.PhysicalResourceId });
    await handler(request);
    expect(responses.get(request.RequestId)!.body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: answer.PhysicalResourceId });
    expect(secret.deletion).toEqual({ recoveryWindowInDays: 7, force: undefined });
  });

  it('Delete of a secret already gone, or of a resource whose Create failed, succeeds without a call', async () => {
    const gone = event('Delete', { PhysicalResourceId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:gone-AbCdEf' });
    await handler(gone);
    expect(responses.get(gone.RequestId)!.body.Status).toBe('SUCCESS');
    const failedCreate = event('Delete', { PhysicalResourceId: 'StorageDeliveryKeyPairA1234ABCD-not-created' });
    calls.length = 0;
    await handler(failedCreate);
    expect(responses.get(failedCreate.RequestId)!.body.Status).toBe('SUCCESS');
    expect(calls).toEqual([]);
  });

  it('answers FAILED with the reason (and no key material) when Secrets Manager refuses, instead of leaving the stack waiting', async () => {
    const request = event('Create', { ResourceProperties: { SecretNamePrefix: '' } });
    await handler(request);
    expect(responses.get(request.RequestId)!.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('SecretNamePrefix is required'), PhysicalResourceId: 'StorageDeliveryKeyPairA1234ABCD-not-created' });
    const update = event('Update', { PhysicalResourceId: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:missing-AbCdEf' });
    await handler(update);
    const answer = responses.get(update.RequestId)!.body;
    expect(answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('ResourceNotFoundException') });
    expect(JSON.stringify(answer)).not.toContain('PRIVATE KEY');
  });
});

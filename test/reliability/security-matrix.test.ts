import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CognitoIdentityClient, GetIdCommand } from '@aws-sdk/client-cognito-identity';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { fromCognitoIdentity } from '@aws-sdk/credential-providers';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity } from '@smithy/types';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeRequestHandler, createNodeStorageClient, readStorageOutputsFile } from '../../app/library/node/create-node-storage-client.ts';
import type { StorageOutputs } from '../../app/library/index.ts';
import { defaultAccessRules } from '../../infra/access-rules/index.ts';
import { startMainJob, type RunningMainJob } from '../../infra/local/main-job.ts';
import { developmentSession } from '../bench/bench-processes.ts';
import { sendRaw, signRequest } from './reliability-helpers.ts';

/** The default locations with guests (private, protected, shared, team, public), as `npm start` runs them. */
const RULES = defaultAccessRules({ allowGuests: true });
/** The identity-keyed locations others may read: signed-in identities write their own folder there. */
const READABLE_FOLDERS = ['protected', 'public'] as const;
type ReadableFolder = (typeof READABLE_FOLDERS)[number];
interface Pending {
  key: string;
  uploadId: string;
  partEtag: string;
}

type PersonaName = 'alice' | 'bob' | 'carol' | 'guest';
interface Persona {
  name: PersonaName;
  tenant?: string;
  identityId: string;
  prefix: string;
  s3: S3Client;
  credentials: () => Promise<AwsCredentialIdentity>;
  secret: string;
  /** An upload in progress at `<prefix>pending.bin` with one part. */
  pending: Pending;
  /** Signed-in personas: a note and an upload in progress in their protected and public folders. */
  folders: Partial<Record<ReadableFolder, { base: string; note: string; pending: Pending }>>;
}

/** What the rules say about an attempt: allowed (a control), forbidden, or confined (a literal key inside the own prefix that must never reach anyone else's data). */
type Expectation = 'allow' | 'deny' | 'confined';
/** Who may read a folder another identity owns: protected folders signed-in identities, public ones everyone. */
const readersOf: Record<ReadableFolder, (persona: { name: PersonaName }) => boolean> = { protected: (persona) => persona.name !== 'guest', public: () => true };
type Outcome = 'allowed' | 'denied' | 'other';

interface KeyClass {
  name: string;
  expectation: Expectation;
  /** For reads (Get, Head, copy and part-copy sources, presigned GET) when they differ from writes: a protected or public folder. */
  readExpectation?: Expectation;
  /** A folder the persona may read that holds no object (an identity nobody is): reads would only answer NoSuchKey, so they are left out, as for shared/. */
  readsNothing?: true;
  /** An existing object when the class belongs to someone (else any key of the class). */
  readKey: string;
  /** A key that writes may target without destroying a sentinel. */
  writeKey: string;
  /** An upload in progress in the class, or (for classes nobody owns) the persona's own upload id under a key of the class. */
  pendingKey: string;
  uploadId: string;
  partEtag: string;
}

interface Attempt {
  persona: PersonaName;
  operation: string;
  keyClass: string;
  expectation: Expectation;
  outcome: Outcome;
  detail: string;
}

const TENANTS = ['acme', 'globex'] as const;

describe('security matrix: every S3 operation x key class x persona, with valid credentials', () => {
  let stateDirectory: string;
  let job: RunningMainJob;
  let outputs: StorageOutputs;
  let bucket: string;
  let requestHandler: NodeHttpHandler;
  let ca: Buffer;
  const personas = new Map<PersonaName, Persona>();
  const tenantSecrets = new Map<string, string>();
  const tenantPending = new Map<string, { key: string; uploadId: string; partEtag: string }>();
  const attempts: Attempt[] = [];

  beforeAll(async () => {
    stateDirectory = await mkdtemp(join(tmpdir(), 'reliability-matrix-'));
    job = await startMainJob({ pagePort: 0, cloud: { stateDirectory }, stack: { allowGuests: true, accessRules: RULES }, tokenServiceLog: false });
    outputs = await readStorageOutputsFile(job.cloud.outputsPath);
    bucket = outputs.bucket;
    requestHandler = await createNodeRequestHandler(outputs);
    ca = await readFile(job.cloud.caCertificatePath);
    const s3With = (credentials: S3Client['config']['credentials']) =>
      new S3Client({ region: outputs.region, endpoint: outputs.endpoints!.s3, forcePathStyle: true, credentials, requestHandler, maxAttempts: 1 });

    for (const [name, tenant] of [
      ['alice', 'acme'],
      ['bob', 'globex'],
      ['carol', undefined],
    ] as const) {
      const session = await developmentSession(job.tokenService.url, name, tenant);
      const client = await createNodeStorageClient(job.cloud.outputsPath, { getSessionToken: () => session });
      const { identityId, prefix } = await client.whoami();
      personas.set(name, { name, ...(tenant ? { tenant } : {}), identityId, prefix, s3: s3With(client.credentials.provide), credentials: client.credentials.provide, secret: '', pending: { key: '', uploadId: '', partEtag: '' }, folders: {} });
    }
    const cognito = new CognitoIdentityClient({ region: outputs.region, endpoint: outputs.endpoints!.cognitoIdentity, requestHandler });
    const { IdentityId: guestId } = await cognito.send(new GetIdCommand({ IdentityPoolId: outputs.identityPoolId }));
    const guestCredentials = fromCognitoIdentity({ identityId: guestId!, clientConfig: { region: outputs.region, endpoint: outputs.endpoints!.cognitoIdentity, requestHandler } });
    personas.set('guest', { name: 'guest', identityId: guestId!, prefix: `users/${guestId!}/`, s3: s3With(guestCredentials), credentials: guestCredentials, secret: '', pending: { key: '', uploadId: '', partEtag: '' }, folders: {} });

    // Sentinels: a secret object and an upload in progress in each persona's prefix, a secret per tenant.
    for (const persona of personas.values()) {
      persona.secret = `secret of ${persona.name} ${randomBytes(12).toString('hex')}`;
      await persona.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${persona.prefix}secret.txt`, Body: persona.secret }));
      const key = `${persona.prefix}pending.bin`;
      const { UploadId } = await persona.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const { ETag } = await persona.s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: `first part of ${persona.name}` }));
      persona.pending = { key, uploadId: UploadId!, partEtag: ETag! };
    }
    // Notes (not secrets: others may read them) and uploads in progress in each signed-in persona's protected and public folders.
    for (const persona of personas.values()) {
      if (persona.name === 'guest') continue;
      for (const folder of READABLE_FOLDERS) {
        const base = `${folder}/${persona.identityId}/`;
        const note = `${folder} note of ${persona.name} ${randomBytes(12).toString('hex')}`;
        await persona.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${base}secret.txt`, Body: note }));
        const key = `${base}pending.bin`;
        const { UploadId } = await persona.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
        const { ETag } = await persona.s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: `first part of ${persona.name} in ${folder}` }));
        persona.folders[folder] = { base, note, pending: { key, uploadId: UploadId!, partEtag: ETag! } };
      }
    }
    for (const tenant of TENANTS) {
      const member = [...personas.values()].find((persona) => persona.tenant === tenant)!;
      const secret = `secret of tenant ${tenant} ${randomBytes(12).toString('hex')}`;
      tenantSecrets.set(tenant, secret);
      await member.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `tenants/${tenant}/secret.txt`, Body: secret }));
      const key = `tenants/${tenant}/pending.bin`;
      const { UploadId } = await member.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      const { ETag } = await member.s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: `first part of tenant ${tenant}` }));
      tenantPending.set(tenant, { key, uploadId: UploadId!, partEtag: ETag! });
    }
  });
  afterAll(async () => {
    await job?.close();
    requestHandler?.destroy();
    await rm(stateDirectory, { recursive: true, force: true });
  });

  /** Secrets `persona` must never see. */
  const foreignSecrets = (persona: Persona) => [
    ...[...personas.values()].filter((other) => other !== persona).map((other) => other.secret),
    ...[...tenantSecrets].filter(([tenant]) => tenant !== persona.tenant).map(([, secret]) => secret),
  ];

  const keyClasses = (persona: Persona): KeyClass[] => {
    const own = persona.pending;
    const belongingTo = (name: string, expectation: Expectation, base: string, pending: { key: string; uploadId: string; partEtag: string }): KeyClass => ({
      name,
      expectation,
      readKey: `${base}secret.txt`,
      writeKey: `${base}matrix-${persona.name}.txt`,
      pendingKey: pending.key,
      uploadId: pending.uploadId,
      partEtag: pending.partEtag,
    });
    const nobodys = (name: string, expectation: Expectation, base: string): KeyClass => belongingTo(name, expectation, base, { key: `${base}pending.bin`, uploadId: own.uploadId, partEtag: own.partEtag });
    const self = persona.identityId;
    const classes: KeyClass[] = [belongingTo('own prefix', 'allow', persona.prefix, own)];
    for (const other of personas.values()) {
      if (other === persona) continue;
      classes.push(belongingTo(`${other.name}'s prefix`, 'deny', other.prefix, other.pending));
      classes.push(nobodys(`encoded traversal to ${other.name} (users/<self>%2F..%2F<other>/)`, 'deny', `users/${self}%2F..%2F${other.identityId}/`));
      classes.push(nobodys(`dot traversal to ${other.name} (users/<self>/../<other>/, a literal key)`, 'confined', `users/${self}/../${other.identityId}/`));
    }
    classes.push(nobodys('neighbour users/<self>0/', 'deny', `users/${self}0/`));
    classes.push(nobodys('neighbour users/<self minus last char>/', 'deny', `users/${self.slice(0, -1)}/`));
    classes.push(nobodys('bucket root', 'deny', ''));
    classes.push(nobodys('users/ root', 'deny', 'users/'));
    classes.push(nobodys('empty tenant tenants//', 'deny', 'tenants//'));
    for (const tenant of TENANTS) {
      const member = [...personas.values()].find((candidate) => candidate.tenant === tenant)!;
      const base = `tenants/${tenant}/`;
      const pending = tenantPending.get(tenant)!;
      classes.push(tenant === persona.tenant ? belongingTo('own tenant', 'allow', base, pending) : belongingTo(`other tenant (${tenant}, of ${member.name})`, 'deny', base, pending));
    }
    classes.push(nobodys('shared/ (read-only)', 'deny', 'shared/'));
    for (const folder of READABLE_FOLDERS) {
      const own = persona.folders[folder];
      // A guest owns no protected or public folder: its would-be folder is written by nobody.
      const readsNothing = readersOf[folder](persona) ? ({ readsNothing: true } as const) : {};
      classes.push(own ? belongingTo(`own ${folder} folder`, 'allow', own.base, own.pending) : { ...nobodys(`own ${folder} folder (a guest's: not writable)`, 'deny', `${folder}/${self}/`), ...readsNothing });
      for (const other of personas.values()) {
        const theirs = other.folders[folder];
        if (other === persona || !theirs) continue;
        classes.push({ ...belongingTo(`${other.name}'s ${folder} folder`, 'deny', theirs.base, theirs.pending), readExpectation: readersOf[folder](persona) ? 'allow' : 'deny' });
      }
      classes.push({ ...nobodys(`${folder} neighbour ${folder}/<self>0/`, 'deny', `${folder}/${self}0/`), ...readsNothing });
      classes.push(nobodys(`${folder}/ root`, 'deny', `${folder}/`));
    }
    return classes;
  };

  /** List prefixes: the classes above as prefixes, plus crafted ones. */
  const listPrefixes = (persona: Persona): { prefix: string | undefined; expectation: Expectation; name: string; delimiter?: string }[] => {
    const self = persona.identityId;
    const prefixes: { prefix: string | undefined; expectation: Expectation; name: string; delimiter?: string }[] = [
      { prefix: persona.prefix, expectation: 'allow', name: 'own prefix' },
      { prefix: `${persona.prefix}sub/`, expectation: 'allow', name: 'own sub-prefix' },
      { prefix: persona.prefix, delimiter: '/', expectation: 'allow', name: 'own prefix with delimiter' },
      { prefix: undefined, expectation: 'deny', name: 'no prefix' },
      { prefix: '', expectation: 'deny', name: 'empty prefix' },
      { prefix: '', delimiter: '/', expectation: 'deny', name: 'empty prefix with delimiter' },
      { prefix: 'users/', expectation: 'deny', name: 'users/' },
      { prefix: 'users', expectation: 'deny', name: 'users' },
      { prefix: `users/${self}`, expectation: 'deny', name: 'own id without the slash' },
      { prefix: `users/${self}0/`, expectation: 'deny', name: 'neighbour users/<self>0/' },
      { prefix: `users/${self.slice(0, -1)}`, expectation: 'deny', name: 'own id minus its last char' },
      { prefix: `users/${self.slice(0, -1)}/`, expectation: 'deny', name: 'neighbour users/<self minus last char>/' },
      { prefix: `users/${self}*`, expectation: 'deny', name: 'own id with a star' },
      { prefix: `users/${self}/*`, expectation: 'confined', name: 'own prefix with a literal star' },
      { prefix: 'tenants/', expectation: 'deny', name: 'tenants/' },
      { prefix: 'tenants//', expectation: 'deny', name: 'empty tenant' },
      { prefix: '*', expectation: 'deny', name: 'star' },
      { prefix: 'shared/', expectation: persona.name === 'guest' ? 'deny' : 'allow', name: 'shared/' },
    ];
    for (const other of personas.values()) {
      if (other === persona) continue;
      prefixes.push({ prefix: other.prefix, expectation: 'deny', name: `${other.name}'s prefix` });
      prefixes.push({ prefix: `users/${self}%2F..%2F${other.identityId}/`, expectation: 'deny', name: `encoded traversal to ${other.name}` });
      prefixes.push({ prefix: `users/${self}/../${other.identityId}/`, expectation: 'confined', name: `dot traversal to ${other.name}` });
    }
    for (const tenant of TENANTS) prefixes.push({ prefix: `tenants/${tenant}/`, expectation: tenant === persona.tenant ? 'allow' : 'deny', name: tenant === persona.tenant ? 'own tenant' : `other tenant ${tenant}` });
    // Protected and public folders: listed only by naming a whole identity segment; never enumerable.
    for (const folder of READABLE_FOLDERS) {
      const mayRead = readersOf[folder](persona);
      for (const other of personas.values()) {
        if (!other.folders[folder]) continue;
        const mine = other === persona;
        const name = mine ? `own ${folder} folder` : `${other.name}'s ${folder} folder`;
        prefixes.push({ prefix: `${folder}/${other.identityId}/`, expectation: mine || mayRead ? 'allow' : 'deny', name });
        prefixes.push({ prefix: `${folder}/${other.identityId}/`, delimiter: '/', expectation: mine || mayRead ? 'allow' : 'deny', name: `${name} with delimiter` });
        prefixes.push({ prefix: `${folder}/${other.identityId}`, expectation: 'deny', name: `${name} without the slash` });
        prefixes.push({ prefix: `${folder}/${other.identityId.slice(0, 12)}`, expectation: 'deny', name: `${name}: a partial id` });
      }
      for (const crafted of [`${folder}/`, folder, `${folder}/us-`, `${folder}/us-east-1:`, `${folder}/*`, `${folder}//`]) {
        prefixes.push({ prefix: crafted, expectation: 'deny', name: `${folder}: ${JSON.stringify(crafted)}` });
        prefixes.push({ prefix: crafted, delimiter: '/', expectation: 'deny', name: `${folder}: ${JSON.stringify(crafted)} with delimiter` });
      }
    }
    return prefixes;
  };

  const classify = (error: unknown): { outcome: Outcome; detail: string } => {
    const failure = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = failure.$metadata?.httpStatusCode;
    // HEAD answers carry no body, so the SDK cannot name the code: a bare 403 there is the denial.
    if (failure.name === 'AccessDenied' || (status === 403 && ['Forbidden', '403', 'Unknown'].includes(failure.name ?? ''))) return { outcome: 'denied', detail: `403 ${failure.name}` };
    return { outcome: 'other', detail: `${status ?? '-'} ${failure.name}: ${failure.message}` };
  };

  const record = (persona: Persona, operation: string, keyClass: { name: string; expectation: Expectation }, outcome: Outcome, detail: string) =>
    attempts.push({ persona: persona.name, operation, keyClass: keyClass.name, expectation: keyClass.expectation, outcome, detail });

  /** Runs one attempt; `check` may turn a success into a violation (e.g. a foreign secret in the answer). */
  const attempt = async <T>(persona: Persona, operation: string, keyClass: { name: string; expectation: Expectation }, call: () => Promise<T>, check?: (value: T) => Promise<Outcome | string> | Outcome | string) => {
    try {
      const value = await call();
      const checked = check ? await check(value) : 'allowed';
      if (checked === 'allowed' || checked === 'denied' || checked === 'other') record(persona, operation, keyClass, checked, 'ok');
      else record(persona, operation, keyClass, 'other', checked);
    } catch (error) {
      const { outcome, detail } = classify(error);
      record(persona, operation, keyClass, outcome, detail);
    }
  };

  const leaksSecret = (persona: Persona, text: string) => foreignSecrets(persona).some((secret) => text.includes(secret));
  const bodyCheck = (persona: Persona) => async (response: { Body?: { transformToString(): Promise<string> } }) => {
    const text = (await response.Body?.transformToString()) ?? '';
    return leaksSecret(persona, text) ? `LEAK: answered another identity's secret` : 'allowed';
  };

  /** Fetches a pre-signed URL exactly as signed (no URL normalization of `..`). */
  const fetchPresigned = async (url: string, method: 'GET' | 'PUT', body?: string) => {
    const parsed = url.slice(url.indexOf('/', 'https://'.length));
    const answer = await sendRaw({ url: outputs.endpoints!.s3!, method, path: parsed, headers: body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }, ...(body === undefined ? {} : { body }), ca });
    if (answer === 'cut' || answer === 'no-answer') throw Object.assign(new Error('no answer'), { name: 'NoAnswer' });
    if (answer.status >= 300) throw Object.assign(new Error(answer.body.slice(0, 200)), { name: /<Code>([^<]+)<\/Code>/.exec(answer.body)?.[1] ?? String(answer.status), $metadata: { httpStatusCode: answer.status } });
    return answer;
  };

  it('no forbidden attempt succeeds, and every allowed control does', { timeout: 180_000 }, async () => {
    const sent = (text: string) => `matrix write ${text}`;
    for (const persona of personas.values()) {
      const s3 = persona.s3;
      for (const keyClass of keyClasses(persona)) {
        const isShared = keyClass.name.startsWith('shared/');
        // Reads (shared/ is readable by signed-in identities, but holds no object: reads are left out there).
        if (!isShared && !keyClass.readsNothing) {
          const readClass = { name: keyClass.name, expectation: keyClass.readExpectation ?? keyClass.expectation };
          await attempt(persona, 'GetObject', readClass, () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: keyClass.readKey })), bodyCheck(persona));
          await attempt(persona, 'HeadObject', readClass, () => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: keyClass.readKey })));
          await attempt(persona, 'CopyObject (as source)', readClass, () =>
            s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `${persona.prefix}copies/from-${attempts.length}`, CopySource: `${bucket}/${encodeURIComponent(keyClass.readKey)}` })),
          );
          await attempt(persona, 'UploadPartCopy (as source)', readClass, () =>
            s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: persona.pending.key, UploadId: persona.pending.uploadId, PartNumber: 3, CopySource: `${bucket}/${encodeURIComponent(keyClass.readKey)}` })),
          );
          await attempt(persona, 'presigned GET', readClass, async () => fetchPresigned(await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: keyClass.readKey }), { expiresIn: 300 }), 'GET'), (answer) =>
            leaksSecret(persona, answer.body) ? 'LEAK: a presigned GET answered another identity\'s secret' : 'allowed',
          );
        }
        // Writes.
        await attempt(persona, 'PutObject', keyClass, () => s3.send(new PutObjectCommand({ Bucket: bucket, Key: keyClass.writeKey, Body: sent(persona.name) })));
        await attempt(persona, 'presigned PUT', keyClass, async () => fetchPresigned(await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: keyClass.writeKey }), { expiresIn: 300 }), 'PUT', sent(persona.name)));
        await attempt(persona, 'CopyObject (as destination)', keyClass, () =>
          s3.send(new CopyObjectCommand({ Bucket: bucket, Key: keyClass.writeKey, CopySource: `${bucket}/${encodeURIComponent(`${persona.prefix}secret.txt`)}` })),
        );
        // Deletes target the sentinel where the class is someone else's (a wrongly allowed delete would show at the end too).
        const deleteKey = keyClass.expectation === 'allow' ? keyClass.writeKey : keyClass.readKey;
        await attempt(persona, 'DeleteObject', keyClass, () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: deleteKey })));
        await attempt(persona, 'DeleteObjects', keyClass, () => s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: deleteKey }] } })), (response) => {
          if (response.Deleted?.some((deleted) => deleted.Key === deleteKey)) return 'allowed';
          const error = response.Errors?.find((entry) => entry.Key === deleteKey);
          return error?.Code === 'AccessDenied' ? 'denied' : `DeleteObjects: ${JSON.stringify(response.Errors)}`;
        });
        // The multipart family.
        await attempt(persona, 'CreateMultipartUpload', keyClass, async () => {
          const created = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: keyClass.writeKey }));
          await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: keyClass.writeKey, UploadId: created.UploadId })).catch(() => undefined);
        });
        await attempt(persona, 'UploadPart', keyClass, () => s3.send(new UploadPartCommand({ Bucket: bucket, Key: keyClass.pendingKey, UploadId: keyClass.uploadId, PartNumber: keyClass.expectation === 'allow' ? 2 : 7, Body: sent(persona.name) })));
        await attempt(persona, 'ListParts', keyClass, () => s3.send(new ListPartsCommand({ Bucket: bucket, Key: keyClass.pendingKey, UploadId: keyClass.uploadId })));
        if (keyClass.expectation === 'allow') {
          // Controls on a fresh upload, so the sentinel upload stays for the others' attempts.
          const fresh = `${keyClass.writeKey}.mpu`;
          await attempt(persona, 'CompleteMultipartUpload', keyClass, async () => {
            const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: fresh }));
            const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: fresh, UploadId, PartNumber: 1, Body: 'one part' }));
            return s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: fresh, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
          });
          await attempt(persona, 'AbortMultipartUpload', keyClass, async () => {
            const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: fresh }));
            return s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: fresh, UploadId }));
          });
        } else {
          await attempt(persona, 'CompleteMultipartUpload', keyClass, () =>
            s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: keyClass.pendingKey, UploadId: keyClass.uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: keyClass.partEtag }] } })),
          );
          await attempt(persona, 'AbortMultipartUpload', keyClass, () => s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: keyClass.pendingKey, UploadId: keyClass.uploadId })));
        }
      }

      // Raw requests whose path decodes to `..` segments: the key stays literal inside the own prefix.
      const credentials = await persona.credentials();
      for (const other of personas.values()) {
        if (other === persona) continue;
        const keyClass = { name: `raw encoded traversal to ${other.name}`, expectation: 'confined' as const };
        for (const path of [
          `/${bucket}/users/${encodeURIComponent(persona.identityId)}%2F..%2F${encodeURIComponent(other.identityId)}/secret.txt`,
          `/${bucket}/users/${encodeURIComponent(persona.identityId)}/%2E%2E/${encodeURIComponent(other.identityId)}/secret.txt`,
          `/${bucket}/users/${encodeURIComponent(persona.identityId)}/..%2F${encodeURIComponent(other.identityId)}/secret.txt`,
        ]) {
          for (const method of ['GET', 'PUT', 'DELETE'] as const) {
            await attempt(persona, `raw ${method}`, keyClass, async () => {
              const body = method === 'PUT' ? sent(persona.name) : undefined;
              const headers = await signRequest(credentials, {
                endpoint: outputs.endpoints!.s3!,
                service: 's3',
                region: outputs.region,
                method,
                path,
                headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...(body === undefined ? {} : { 'content-length': String(body.length) }) },
              });
              const answer = await sendRaw({ url: outputs.endpoints!.s3!, method, path, headers, ...(body === undefined ? {} : { body }), ca });
              if (answer === 'cut' || answer === 'no-answer') return 'other' as const;
              if (leaksSecret(persona, answer.body)) return `LEAK: ${method} ${path} answered another identity's secret`;
              return answer.status < 300 ? ('allowed' as const) : answer.status === 403 ? ('denied' as const) : ('other' as const);
            }, (outcome) => outcome);
          }
        }
      }

      // Listings, of objects (both versions, under the same rules) and of uploads.
      const foreignListed = (page: { Contents?: Array<{ Key?: string }>; CommonPrefixes?: Array<{ Prefix?: string }> }) => {
        const keys = [...(page.Contents ?? []).map((object) => object.Key!), ...(page.CommonPrefixes ?? []).map((common) => common.Prefix!)];
        const readable = READABLE_FOLDERS.filter((folder) => readersOf[folder](persona)).map((folder) => `${folder}/`);
        const allowedPrefixes = [persona.prefix, 'shared/', ...readable, ...(persona.tenant ? [`tenants/${persona.tenant}/`] : [])];
        const foreign = keys.filter((key) => !allowedPrefixes.some((prefix) => key.startsWith(prefix)));
        return foreign.length > 0 ? `LEAK: listed ${foreign.join(', ')}` : 'allowed';
      };
      for (const listing of listPrefixes(persona)) {
        const delimited = listing.delimiter ? ' (delimiter /)' : '';
        await attempt(persona, `ListObjectsV2${delimited}`, listing, () => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: listing.prefix, Delimiter: listing.delimiter })), foreignListed);
        await attempt(persona, `ListObjects (v1)${delimited}`, listing, () => s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: listing.prefix, Delimiter: listing.delimiter })), foreignListed);
        // Nobody is granted s3:ListBucketMultipartUploads by these rules.
        await attempt(persona, 'ListMultipartUploads', { name: listing.name, expectation: 'deny' }, () => s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: listing.prefix })));
      }
    }

    // Every sentinel is intact: secrets unchanged, uploads in progress with their first part.
    const damaged: string[] = [];
    for (const persona of personas.values()) {
      const text = await persona.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${persona.prefix}secret.txt` })).then((response) => response.Body!.transformToString(), (error: Error) => `missing: ${error.name}`);
      if (text !== persona.secret) damaged.push(`${persona.name}'s secret: ${text.slice(0, 60)}`);
      const parts = await persona.s3.send(new ListPartsCommand({ Bucket: bucket, Key: persona.pending.key, UploadId: persona.pending.uploadId })).catch((error: Error) => ({ Parts: undefined, error }));
      if (!parts.Parts?.some((part) => part.PartNumber === 1 && part.ETag === persona.pending.partEtag)) damaged.push(`${persona.name}'s upload in progress`);
      if (parts.Parts?.some((part) => part.PartNumber === 7)) damaged.push(`${persona.name}'s upload in progress got a part from someone else`);
    }
    for (const persona of personas.values()) {
      for (const [folder, held] of Object.entries(persona.folders)) {
        const text = await persona.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${held.base}secret.txt` })).then((response) => response.Body!.transformToString(), (error: Error) => `missing: ${error.name}`);
        if (text !== held.note) damaged.push(`${persona.name}'s ${folder} note: ${text.slice(0, 60)}`);
        const parts = await persona.s3.send(new ListPartsCommand({ Bucket: bucket, Key: held.pending.key, UploadId: held.pending.uploadId })).catch((error: Error) => ({ Parts: undefined, error }));
        if (!parts.Parts?.some((part) => part.PartNumber === 1 && part.ETag === held.pending.partEtag)) damaged.push(`${persona.name}'s ${folder} upload in progress`);
        if (parts.Parts?.some((part) => part.PartNumber === 7)) damaged.push(`${persona.name}'s ${folder} upload in progress got a part from someone else`);
      }
    }
    for (const [tenant, secret] of tenantSecrets) {
      const member = [...personas.values()].find((persona) => persona.tenant === tenant)!;
      const text = await member.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `tenants/${tenant}/secret.txt` })).then((response) => response.Body!.transformToString(), (error: Error) => `missing: ${error.name}`);
      if (text !== secret) damaged.push(`tenant ${tenant}'s secret: ${text.slice(0, 60)}`);
    }

    const forbidden = attempts.filter((entry) => entry.expectation === 'deny');
    const forbiddenAllowed = forbidden.filter((entry) => entry.outcome === 'allowed');
    const forbiddenOdd = forbidden.filter((entry) => entry.outcome === 'other');
    const controls = attempts.filter((entry) => entry.expectation === 'allow');
    const controlsPassed = controls.filter((entry) => entry.outcome === 'allowed');
    const confined = attempts.filter((entry) => entry.expectation === 'confined');
    const leaks = attempts.filter((entry) => entry.detail.startsWith('LEAK'));
    const byPersona = Object.fromEntries([...personas.keys()].map((name) => [name, attempts.filter((entry) => entry.persona === name).length]));
    console.log(
      `[security matrix] attempts: ${attempts.length}, forbidden attempts allowed: ${forbiddenAllowed.length}, allowed controls passed: ${controlsPassed.length}` +
        ` (of ${controls.length} controls; ${forbidden.length} forbidden attempts, ${forbiddenOdd.length} answered other than AccessDenied; ${confined.length} confined literal-key attempts, ${leaks.length} leaks; sentinels damaged: ${damaged.length}; per persona ${JSON.stringify(byPersona)})`,
    );
    const show = (entries: Attempt[]) => entries.slice(0, 40).map((entry) => `${entry.persona} ${entry.operation} [${entry.keyClass}] -> ${entry.outcome}: ${entry.detail}`);
    expect(show(forbiddenAllowed)).toEqual([]);
    expect(show(leaks)).toEqual([]);
    expect(damaged).toEqual([]);
    expect(show(controls.filter((entry) => entry.outcome !== 'allowed'))).toEqual([]);
    expect(show(forbiddenOdd)).toEqual([]);
    expect(controlsPassed.length).toBeGreaterThan(50);
    // The protected and public locations were really exercised: others read there, and guests read public folders.
    const passed = (persona: PersonaName, operation: string, keyClass: string) => controlsPassed.some((entry) => entry.persona === persona && entry.operation === operation && entry.keyClass === keyClass);
    expect([passed('bob', 'GetObject', "alice's protected folder"), passed('guest', 'GetObject', "alice's public folder"), passed('carol', 'ListObjectsV2', "alice's protected folder")]).toEqual([true, true, true]);
    expect(forbidden.some((entry) => entry.persona === 'guest' && entry.operation === 'GetObject' && entry.keyClass === "alice's protected folder" && entry.outcome === 'denied')).toBe(true);
    expect(new Set(attempts.map((entry) => entry.persona)).size).toBe(4);
  });
});

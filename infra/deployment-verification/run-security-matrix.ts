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
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { AttemptRecorder, type Attempt } from './matrix-attempts.ts';
import { cdnAttempts, type ReadClass } from './matrix-cdn-attempts.ts';
import { keyClassesFor, listPrefixesFor } from './matrix-key-classes.ts';
import type { PersonaAttempt, PersonaRun } from './matrix-persona-run.ts';
import { fetchPresigned } from './matrix-raw-answers.ts';
import { forgedFormAttempts, uploadAttempts } from './matrix-upload-attempts.ts';
import { leaksSecret } from './matrix-sentinels.ts';
import { readersOf, secretKey, type MatrixWorld, type Persona } from './matrix-world.ts';
import { sendRaw, signRequest } from './raw-request.ts';

/**
 * Every S3 operation x key class x persona, through the SDK (and raw requests for path tricks the
 * SDK never sends), POST Object forms (real and forged), the library's upload links and, with a
 * CDN, its links, cookies and unsigned reads, against the world's deployment. The sentinels must be planted first. Returns
 * every attempt with its expectation and outcome. Once `signal` aborts, no further attempt starts
 * (the abort reason is thrown), so the caller can clean up.
 */
export async function runSecurityMatrix(world: MatrixWorld, signal?: AbortSignal): Promise<Attempt[]> {
  const recorder = new AttemptRecorder();
  const { bucket } = world;
  const sent = (text: string) => `matrix write ${text}`;
  const wrote = (persona: Persona, key: string) => world.writtenKeys.set(key, persona.name);

  const bodyCheck = (persona: Persona) => async (response: { Body?: { transformToString(): Promise<string> } }) => {
    const text = (await response.Body?.transformToString()) ?? '';
    return leaksSecret(world, persona, text) ? `LEAK: answered another identity's secret` : 'allowed';
  };

  for (const persona of world.personas.values()) {
    const s3 = persona.s3;
    const attempt: PersonaAttempt = (operation, keyClass, call, check) => {
      signal?.throwIfAborted();
      return recorder.attempt(persona.name, operation, keyClass, call, check);
    };
    const run: PersonaRun = { world, persona, attempt, wrote: (key) => wrote(persona, key), sent: sent(persona.name) };
    const readClasses: ReadClass[] = [];
    for (const keyClass of keyClassesFor(world, persona)) {
      const isShared = keyClass.name.startsWith('shared/');
      // Reads (shared/ is readable by signed-in identities, but holds no object: reads are left out there).
      if (!isShared && !keyClass.readsNothing) {
        const readClass = { name: keyClass.name, expectation: keyClass.readExpectation ?? keyClass.expectation };
        readClasses.push({ ...readClass, readKey: keyClass.readKey });
        await attempt('GetObject', readClass, () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: keyClass.readKey })), bodyCheck(persona));
        await attempt('HeadObject', readClass, () => s3.send(new HeadObjectCommand({ Bucket: bucket, Key: keyClass.readKey })));
        const copyKey = `${persona.prefix}copies/from-${world.runTag}-${recorder.attempts.length}`;
        await attempt('CopyObject (as source)', readClass, async () => {
          const copied = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: copyKey, CopySource: `${bucket}/${encodeURIComponent(keyClass.readKey)}` }));
          wrote(persona, copyKey);
          return copied;
        });
        await attempt('UploadPartCopy (as source)', readClass, () =>
          s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: persona.pending.key, UploadId: persona.pending.uploadId, PartNumber: 3, CopySource: `${bucket}/${encodeURIComponent(keyClass.readKey)}` })),
        );
        await attempt('presigned GET', readClass, async () => fetchPresigned(world, await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: keyClass.readKey }), { expiresIn: 300 }), 'GET'), (answer) =>
          leaksSecret(world, persona, answer.body) ? "LEAK: a presigned GET answered another identity's secret" : 'allowed',
        );
      }
      // Writes.
      await attempt('PutObject', keyClass, async () => {
        const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: keyClass.writeKey, Body: sent(persona.name) }));
        wrote(persona, keyClass.writeKey);
        return put;
      });
      await attempt('presigned PUT', keyClass, async () => {
        const answer = await fetchPresigned(world, await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: keyClass.writeKey }), { expiresIn: 300 }), 'PUT', sent(persona.name));
        wrote(persona, keyClass.writeKey);
        return answer;
      });
      // POST Object forms, single-use PUTs and the library's upload links: allowed exactly where PutObject is.
      await uploadAttempts(run, keyClass);
      await attempt('CopyObject (as destination)', keyClass, async () => {
        const copied = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: keyClass.writeKey, CopySource: `${bucket}/${encodeURIComponent(secretKey(world, persona.prefix))}` }));
        wrote(persona, keyClass.writeKey);
        return copied;
      });
      // Deletes target the sentinel where the class is someone else's (a wrongly allowed delete would show at the end too).
      const deleteKey = keyClass.expectation === 'allow' ? keyClass.writeKey : keyClass.readKey;
      await attempt('DeleteObject', keyClass, () => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: deleteKey })));
      await attempt('DeleteObjects', keyClass, () => s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: deleteKey }] } })), (response) => {
        if (response.Deleted?.some((deleted) => deleted.Key === deleteKey)) return 'allowed';
        const error = response.Errors?.find((entry) => entry.Key === deleteKey);
        return error?.Code === 'AccessDenied' ? 'denied' : `DeleteObjects: ${JSON.stringify(response.Errors)}`;
      });
      // The multipart family.
      const startUpload = async (key: string) => {
        const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
        world.startedUploads.push({ persona: persona.name, key, uploadId: UploadId!, partEtag: '' });
        return UploadId!;
      };
      await attempt('CreateMultipartUpload', keyClass, async () => {
        const uploadId = await startUpload(keyClass.writeKey);
        await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: keyClass.writeKey, UploadId: uploadId })).catch(() => undefined);
      });
      await attempt('UploadPart', keyClass, () => s3.send(new UploadPartCommand({ Bucket: bucket, Key: keyClass.pendingKey, UploadId: keyClass.uploadId, PartNumber: keyClass.expectation === 'allow' ? 2 : 7, Body: sent(persona.name) })));
      await attempt('ListParts', keyClass, () => s3.send(new ListPartsCommand({ Bucket: bucket, Key: keyClass.pendingKey, UploadId: keyClass.uploadId })));
      if (keyClass.expectation === 'allow') {
        // Controls on a fresh upload, so the sentinel upload stays for the others' attempts.
        const fresh = `${keyClass.writeKey}.mpu`;
        await attempt('CompleteMultipartUpload', keyClass, async () => {
          const uploadId = await startUpload(fresh);
          const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: fresh, UploadId: uploadId, PartNumber: 1, Body: 'one part' }));
          wrote(persona, fresh);
          return s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: fresh, UploadId: uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag }] } }));
        });
        await attempt('AbortMultipartUpload', keyClass, async () => {
          const uploadId = await startUpload(fresh);
          return s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: fresh, UploadId: uploadId }));
        });
      } else {
        await attempt('CompleteMultipartUpload', keyClass, async () => {
          const completed = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: keyClass.pendingKey, UploadId: keyClass.uploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: keyClass.partEtag }] } }));
          wrote(persona, keyClass.pendingKey);
          return completed;
        });
        await attempt('AbortMultipartUpload', keyClass, () => s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: keyClass.pendingKey, UploadId: keyClass.uploadId })));
      }
    }

    await forgedFormAttempts(run);
    // CDN links, cookies and unsigned reads, when the deployment delivers through a CDN.
    await cdnAttempts(run, readClasses);

    // Raw requests whose path decodes to `..` segments: the key stays literal inside the own prefix.
    const credentials = await persona.credentials();
    for (const other of world.personas.values()) {
      if (other === persona) continue;
      const keyClass = { name: `raw encoded traversal to ${other.name}`, expectation: 'confined' as const };
      const file = encodeURIComponent(secretKey(world, ''));
      for (const path of [
        `/${bucket}/users/${encodeURIComponent(persona.identityId)}%2F..%2F${encodeURIComponent(other.identityId)}/${file}`,
        `/${bucket}/users/${encodeURIComponent(persona.identityId)}/%2E%2E/${encodeURIComponent(other.identityId)}/${file}`,
        `/${bucket}/users/${encodeURIComponent(persona.identityId)}/..%2F${encodeURIComponent(other.identityId)}/${file}`,
      ]) {
        for (const method of ['GET', 'PUT', 'DELETE'] as const) {
          await attempt(`raw ${method}`, keyClass, async () => {
            const body = method === 'PUT' ? sent(persona.name) : undefined;
            const headers = await signRequest(credentials, {
              endpoint: world.s3Endpoint,
              service: 's3',
              region: world.region,
              method,
              path,
              headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', ...(body === undefined ? {} : { 'content-length': String(body.length) }) },
            });
            const answer = await sendRaw({ url: world.s3Endpoint, method, path, headers, ...(body === undefined ? {} : { body }), ...(world.ca ? { ca: world.ca } : {}) });
            if (answer === 'cut' || answer === 'no-answer') return 'other' as const;
            if (leaksSecret(world, persona, answer.body)) return `LEAK: ${method} ${path} answered another identity's secret`;
            return answer.status < 300 ? ('allowed' as const) : answer.status === 403 ? ('denied' as const) : ('other' as const);
          }, (outcome) => outcome);
        }
      }
    }

    // Listings, of objects (both versions, under the same rules) and of uploads.
    const foreignListed = (page: { Contents?: Array<{ Key?: string }>; CommonPrefixes?: Array<{ Prefix?: string }> }) => {
      const keys = [...(page.Contents ?? []).map((object) => object.Key!), ...(page.CommonPrefixes ?? []).map((common) => common.Prefix!)];
      const readable = world.readableFolders.filter((folder) => readersOf[folder](persona)).map((folder) => `${folder}/`);
      const allowedPrefixes = [persona.prefix, 'shared/', ...readable, ...(persona.tenant ? [`tenants/${persona.tenant}/`] : [])];
      const foreign = keys.filter((key) => !allowedPrefixes.some((prefix) => key.startsWith(prefix)));
      return foreign.length > 0 ? `LEAK: listed ${foreign.join(', ')}` : 'allowed';
    };
    for (const listing of listPrefixesFor(world, persona)) {
      const delimited = listing.delimiter ? ' (delimiter /)' : '';
      await attempt(`ListObjectsV2${delimited}`, listing, () => s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: listing.prefix, Delimiter: listing.delimiter })), foreignListed);
      await attempt(`ListObjects (v1)${delimited}`, listing, () => s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: listing.prefix, Delimiter: listing.delimiter })), foreignListed);
      // Nobody is granted s3:ListBucketMultipartUploads by these rules.
      await attempt('ListMultipartUploads', { name: listing.name, expectation: 'deny' }, () => s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: listing.prefix })));
    }
  }
  return recorder.attempts;
}

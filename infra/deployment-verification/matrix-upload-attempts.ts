import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { StorageError, type UploadLink } from '../../app/library/index.ts';
import type { KeyClass } from './matrix-key-classes.ts';
import { folderOf, locationKeyOf } from './matrix-location-keys.ts';
import type { PersonaRun } from './matrix-persona-run.ts';
import { fetchPresigned, postForm } from './matrix-raw-answers.ts';

/** The library's refusals before signing: the caller may not write there, or the folder is no folder of the location. */
const REFUSED_BEFORE_SIGNING = new Set(['InvalidLocation', 'InvalidArgument', 'InvalidKey']);

/**
 * The upload paths beside PutObject, for one key class: a POST Object form signed with the
 * persona's own credentials, a hand-signed single-use PUT (If-None-Match), and the library's own
 * upload links (PUT and POST) where the library can name the class's folder. Each is allowed
 * exactly where PutObject is.
 */
export async function uploadAttempts(run: PersonaRun, keyClass: KeyClass): Promise<void> {
  const { world, persona, attempt, wrote, sent } = run;
  const { bucket } = world;
  await attempt('POST Object', keyClass, async () => {
    const form = await createPresignedPost(persona.s3, { Bucket: bucket, Key: keyClass.writeKey, Conditions: [['content-length-range', 1, 1024]], Expires: 300 });
    const answer = await postForm(world, form.url, form.fields, sent);
    wrote(keyClass.writeKey);
    return answer;
  });
  const onceKey = `${keyClass.writeKey}.once`;
  await attempt('presigned PUT (If-None-Match)', keyClass, async () => {
    const url = await getSignedUrl(persona.s3, new PutObjectCommand({ Bucket: bucket, Key: onceKey, IfNoneMatch: '*' }), { expiresIn: 300, signableHeaders: new Set(['if-none-match']) });
    const answer = await fetchPresigned(world, url, 'PUT', sent, { 'if-none-match': '*' });
    wrote(onceKey);
    return answer;
  });
  const named = locationKeyOf(await persona.client.locations(), keyClass.writeKey);
  // A folder no location of the persona's reaches: the library cannot be asked to sign there (the raw attempts above cover S3).
  if (!named) return;
  // The library names the file itself (<16 hex>-upload.txt): a sub-folder carries the run's tag, so the clean-up finds what a wrongly signed link wrote.
  const folder = `${folderOf(named.key)}matrix-${persona.name}-${world.runTag}-links/`;
  for (const method of ['PUT', 'POST'] as const) {
    await attempt(`upload link ${method} (library)`, keyClass, async () => {
      let link: UploadLink;
      try {
        link = await persona.client.createUploadLink(named.location, folder, { maxBytes: 1024, method, contentType: 'text/plain' });
      } catch (error) {
        if (error instanceof StorageError && REFUSED_BEFORE_SIGNING.has(error.code)) return { refused: error.code };
        throw error;
      }
      const fullKey = `${named.location.prefix}${link.key}`;
      // The fresh key must sit in the folder asked for, and nowhere else.
      if (!fullKey.startsWith(`${named.location.prefix}${folder}`) || link.key.slice(folder.length).includes('/')) return { elsewhere: fullKey };
      if (link.method === 'POST') await postForm(world, link.url, link.fields ?? {}, sent);
      else await fetchPresigned(world, link.url, 'PUT', sent, link.headers);
      wrote(fullKey);
      return { uploaded: fullKey };
    }, (outcome) => ('refused' in outcome ? 'denied' : 'elsewhere' in outcome ? `the link's key ${outcome.elsewhere} is outside the folder asked for` : 'allowed'));
  }
}

/**
 * Forged POST forms of the persona's own, per other persona: a policy whose exact key is in the
 * own folder with a `key` field naming the other's folder (refused by the policy check), and
 * policies with `starts-with` on the own id: the abcd neighbour (refused by IAM) and a key
 * climbing out with `../` (a literal key inside the own folder: confined).
 */
export async function forgedFormAttempts(run: PersonaRun): Promise<void> {
  const { world, persona, attempt, wrote, sent } = run;
  const { bucket } = world;
  const forged = (base: string) => `${base}matrix-forged-${persona.name}-${world.runTag}.txt`;
  /** Sends a form whose policy was signed for `policyKey` with `formKey` in its key field; a refusal must come from `refusedBy` (S3's policy check, or IAM after it). */
  const send = async (policyKey: string, formKey: string, refusedBy: 'policy check' | 'IAM') => {
    const form = await createPresignedPost(persona.s3, { Bucket: bucket, Key: policyKey, Conditions: [['content-length-range', 1, 1024]], Expires: 300 });
    try {
      const answer = await postForm(world, form.url, { ...form.fields, key: formKey }, sent);
      wrote(formKey);
      return answer;
    } catch (error) {
      const failure = error as Error;
      const byPolicyCheck = /Invalid according to Policy/.test(failure.message);
      if (failure.name === 'AccessDenied' && byPolicyCheck !== (refusedBy === 'policy check')) {
        throw Object.assign(new Error(`refused, but not by the ${refusedBy}: ${failure.message}`), { name: 'WrongRefusal' });
      }
      throw error;
    }
  };
  for (const other of world.personas.values()) {
    if (other === persona) continue;
    await attempt('forged POST form (key outside the exact key condition)', { name: `${other.name}'s prefix`, expectation: 'deny' }, () => send(forged(persona.prefix), forged(other.prefix), 'policy check'));
    await attempt('forged POST form (starts-with own prefix, key with ../)', { name: `dot traversal to ${other.name} (users/<self>/../<other>/, a literal key)`, expectation: 'confined' }, () =>
      send(`${persona.prefix}\${filename}`, forged(`${persona.prefix}../${other.identityId}/`), 'IAM'),
    );
  }
  await attempt('forged POST form (starts-with own id without the slash)', { name: 'neighbour users/<self>0/', expectation: 'deny' }, () => send(`users/${persona.identityId}\${filename}`, forged(`users/${persona.identityId}0/`), 'IAM'));
}

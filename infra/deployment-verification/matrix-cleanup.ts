import { AbortMultipartUploadCommand, DeleteObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { MatrixWorld, Persona, PersonaName } from './matrix-world.ts';

// The run's keys all carry its run tag, and its identities are new (or test users'), so the
// clean-up deletes only what this run wrote: the keys it recorded, and any key with the tag in
// the places a persona can list (literal-key attempts the server stored under another name).

/** Prefixes `persona` may list that the run may have written to. */
function areasOf(world: MatrixWorld, persona: Persona): string[] {
  return [persona.prefix, ...Object.values(persona.folders).map((folder) => folder.base), ...(persona.tenant ? [`tenants/${persona.tenant}/`] : []), ...(persona.name === 'guest' ? [] : ['shared/'])];
}

async function taggedKeys(world: MatrixWorld, persona: Persona, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await persona.s3.send(new ListObjectsV2Command({ Bucket: world.bucket, Prefix: prefix, ContinuationToken: token })).catch(() => undefined);
    if (!page) break;
    keys.push(...(page.Contents ?? []).map((object) => object.Key!).filter((key) => key.includes(world.runTag)));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** What a clean-up removed, for the report of an interrupted run. */
export interface CleanUpTally {
  uploadsAborted: number;
  /** Delete requests that succeeded (S3 also answers 204 for a key already gone). */
  objectsDeleted: number;
}

/** Whoever may delete `key`: its writer first, then the others. */
async function deleteKey(world: MatrixWorld, key: string, writer: PersonaName | undefined, tally: CleanUpTally): Promise<void> {
  const personas = [...world.personas.values()].sort((left, right) => Number(right.name === writer) - Number(left.name === writer));
  for (const persona of personas) {
    const deleted = await persona.s3.send(new DeleteObjectCommand({ Bucket: world.bucket, Key: key })).then(() => true, () => false);
    if (deleted) {
      tally.objectsDeleted += 1;
      return;
    }
  }
}

/** Aborts every upload the run started and deletes every object it wrote; returns the keys with its tag still listed afterwards (none when all went well). */
export async function cleanUpMatrix(world: MatrixWorld, tally: CleanUpTally = { uploadsAborted: 0, objectsDeleted: 0 }): Promise<string[]> {
  for (const upload of world.startedUploads) {
    const persona = world.personas.get(upload.persona);
    const aborted = await persona?.s3.send(new AbortMultipartUploadCommand({ Bucket: world.bucket, Key: upload.key, UploadId: upload.uploadId })).then(() => true, () => false);
    if (aborted) tally.uploadsAborted += 1;
  }
  for (const [key, writer] of world.writtenKeys) await deleteKey(world, key, writer, tally);
  for (const persona of world.personas.values()) {
    for (const area of areasOf(world, persona)) for (const key of await taggedKeys(world, persona, area)) await deleteKey(world, key, persona.name, tally);
  }
  const left = new Set<string>();
  for (const persona of world.personas.values()) {
    for (const area of areasOf(world, persona)) for (const key of await taggedKeys(world, persona, area)) left.add(key);
  }
  return [...left].sort();
}

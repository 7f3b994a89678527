import { randomBytes } from 'node:crypto';
import { CreateMultipartUploadCommand, GetObjectCommand, ListPartsCommand, PutObjectCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { memberOf, pendingKey, secretKey, tenantsOf, type MatrixWorld, type PendingUpload, type Persona } from './matrix-world.ts';

// Sentinels: what each persona (and each tenant) holds before the attempts, checked intact afterwards.
// A wrongly allowed overwrite, delete, part upload, completion or abort shows here even if its
// answer looked like a denial.

async function startUpload(world: MatrixWorld, persona: Persona, key: string, firstPart: string): Promise<PendingUpload> {
  const { UploadId } = await persona.s3.send(new CreateMultipartUploadCommand({ Bucket: world.bucket, Key: key }));
  world.startedUploads.push({ persona: persona.name, key, uploadId: UploadId!, partEtag: '' });
  const { ETag } = await persona.s3.send(new UploadPartCommand({ Bucket: world.bucket, Key: key, UploadId, PartNumber: 1, Body: firstPart }));
  return { key, uploadId: UploadId!, partEtag: ETag! };
}

async function putObject(world: MatrixWorld, persona: Persona, key: string, body: string): Promise<void> {
  world.writtenKeys.set(key, persona.name);
  await persona.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: key, Body: body }));
}

/** A secret and an upload in progress in each persona's own prefix, a note and an upload in each signed-in persona's readable folders, a secret and an upload per tenant. */
export async function plantSentinels(world: MatrixWorld): Promise<void> {
  for (const persona of world.personas.values()) {
    persona.secret = `secret of ${persona.name} ${randomBytes(12).toString('hex')}`;
    await putObject(world, persona, secretKey(world, persona.prefix), persona.secret);
    persona.pending = await startUpload(world, persona, pendingKey(world, persona.prefix), `first part of ${persona.name}`);
  }
  // Notes (not secrets: others may read them).
  for (const persona of world.personas.values()) {
    if (persona.name === 'guest') continue;
    for (const folder of world.readableFolders) {
      const base = `${folder}/${persona.identityId}/`;
      const note = `${folder} note of ${persona.name} ${randomBytes(12).toString('hex')}`;
      await putObject(world, persona, secretKey(world, base), note);
      persona.folders[folder] = { base, note, pending: await startUpload(world, persona, pendingKey(world, base), `first part of ${persona.name} in ${folder}`) };
    }
  }
  for (const tenant of tenantsOf(world)) {
    const member = memberOf(world, tenant);
    const secret = `secret of tenant ${tenant} ${randomBytes(12).toString('hex')}`;
    world.tenantSecrets.set(tenant, secret);
    await putObject(world, member, secretKey(world, `tenants/${tenant}/`), secret);
    world.tenantPending.set(tenant, await startUpload(world, member, pendingKey(world, `tenants/${tenant}/`), `first part of tenant ${tenant}`));
  }
}

/** Secrets `persona` must never see. */
export function foreignSecrets(world: MatrixWorld, persona: Persona): string[] {
  return [
    ...[...world.personas.values()].filter((other) => other !== persona).map((other) => other.secret),
    ...[...world.tenantSecrets].filter(([tenant]) => tenant !== persona.tenant).map(([, secret]) => secret),
  ];
}

export function leaksSecret(world: MatrixWorld, persona: Persona, text: string): boolean {
  return foreignSecrets(world, persona).some((secret) => text.includes(secret));
}

/** Every sentinel that is not as planted: a secret or note changed or gone, an upload in progress gone or given a part by someone else. */
export async function damagedSentinels(world: MatrixWorld): Promise<string[]> {
  const damaged: string[] = [];
  const readText = (persona: Persona, key: string) =>
    persona.s3.send(new GetObjectCommand({ Bucket: world.bucket, Key: key })).then((response) => response.Body!.transformToString(), (error: Error) => `missing: ${error.name}`);
  const checkUpload = async (persona: Persona, pending: PendingUpload, what: string) => {
    const parts = await persona.s3.send(new ListPartsCommand({ Bucket: world.bucket, Key: pending.key, UploadId: pending.uploadId })).catch((error: Error) => ({ Parts: undefined, error }));
    if (!parts.Parts?.some((part) => part.PartNumber === 1 && part.ETag === pending.partEtag)) damaged.push(`${what} upload in progress`);
    if (parts.Parts?.some((part) => part.PartNumber === 7)) damaged.push(`${what} upload in progress got a part from someone else`);
  };
  for (const persona of world.personas.values()) {
    const text = await readText(persona, secretKey(world, persona.prefix));
    if (text !== persona.secret) damaged.push(`${persona.name}'s secret: ${text.slice(0, 60)}`);
    await checkUpload(persona, persona.pending, `${persona.name}'s`);
  }
  for (const persona of world.personas.values()) {
    for (const [folder, held] of Object.entries(persona.folders)) {
      const text = await readText(persona, secretKey(world, held.base));
      if (text !== held.note) damaged.push(`${persona.name}'s ${folder} note: ${text.slice(0, 60)}`);
      await checkUpload(persona, held.pending, `${persona.name}'s ${folder}`);
    }
  }
  for (const [tenant, secret] of world.tenantSecrets) {
    const member = memberOf(world, tenant);
    const text = await readText(member, secretKey(world, `tenants/${tenant}/`));
    if (text !== secret) damaged.push(`tenant ${tenant}'s secret: ${text.slice(0, 60)}`);
    await checkUpload(member, world.tenantPending.get(tenant)!, `tenant ${tenant}'s`);
  }
  return damaged;
}

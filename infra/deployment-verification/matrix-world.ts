import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { ScopedStorageClient } from '../../app/library/index.ts';

/** The test identities of the matrix: alice and bob in two tenants, carol in none, and a guest. */
export type PersonaName = 'alice' | 'bob' | 'carol' | 'guest';

/** The identity-keyed locations others may read: signed-in identities write their own folder there. */
export type ReadableFolder = 'protected' | 'public';

export interface PendingUpload {
  key: string;
  uploadId: string;
  partEtag: string;
}

export interface FolderSentinels {
  base: string;
  note: string;
  pending: PendingUpload;
}

export interface Persona {
  name: PersonaName;
  tenant?: string;
  identityId: string;
  /** The own folder, `users/<identityId>/`. */
  prefix: string;
  s3: S3Client;
  credentials: () => Promise<AwsCredentialIdentity>;
  /** The client library signed in as this persona: upload links, CDN links and cookies go through it as an app's would. */
  client: ScopedStorageClient;
  /** A secret object at `<prefix>secret-<run>.txt` nobody else may read; set when the sentinels are planted. */
  secret: string;
  /** An upload in progress at `<prefix>pending-<run>.bin` with one part. */
  pending: PendingUpload;
  /** Signed-in personas: a note and an upload in progress in their protected (and public) folders. */
  folders: Partial<Record<ReadableFolder, FolderSentinels>>;
}

/** Everything one run of the matrix works over: the deployment, the personas, their sentinels and what it wrote. */
export interface MatrixWorld {
  bucket: string;
  region: string;
  /** Where raw (path-style) requests go: the deployment's S3 endpoint. */
  s3Endpoint: string;
  /** The CA of a local cloud's HTTPS certificate, for raw and pre-signed requests. */
  ca?: Buffer;
  /** The deployment's CDN (`cdnUrl` output), when it delivers through one: the matrix then asks for CDN links and cookies too. */
  cdnUrl?: string;
  /** `protected`, and `public` when the deployment admits guests. */
  readableFolders: readonly ReadableFolder[];
  personas: Map<PersonaName, Persona>;
  tenantSecrets: Map<string, string>;
  tenantPending: Map<string, PendingUpload>;
  /** Part of every file name the run writes, so its clean-up finds them and never touches anything else. */
  runTag: string;
  /** Keys the run wrote (key -> writer), to delete afterwards. */
  writtenKeys: Map<string, PersonaName>;
  /** Uploads the run started (sentinels and controls), to abort afterwards. */
  startedUploads: Array<PendingUpload & { persona: PersonaName }>;
}

/** A persona before its sentinels are planted. */
export function newPersona(identity: { name: PersonaName; tenant?: string; identityId: string; prefix: string; s3: S3Client; credentials: () => Promise<AwsCredentialIdentity>; client: ScopedStorageClient }): Persona {
  return { ...identity, secret: '', pending: { key: '', uploadId: '', partEtag: '' }, folders: {} };
}

export function newMatrixWorld(options: { bucket: string; region: string; s3Endpoint: string; ca?: Buffer; cdnUrl?: string; guestsAllowed: boolean; runTag: string }): MatrixWorld {
  return {
    bucket: options.bucket,
    region: options.region,
    s3Endpoint: options.s3Endpoint,
    ...(options.ca ? { ca: options.ca } : {}),
    ...(options.cdnUrl ? { cdnUrl: options.cdnUrl } : {}),
    readableFolders: options.guestsAllowed ? ['protected', 'public'] : ['protected'],
    personas: new Map(),
    tenantSecrets: new Map(),
    tenantPending: new Map(),
    runTag: options.runTag,
    writtenKeys: new Map(),
    startedUploads: [],
  };
}

/** Who may read a folder another identity owns: protected folders signed-in identities, public ones everyone. */
export const readersOf: Record<ReadableFolder, (persona: { name: PersonaName }) => boolean> = { protected: (persona) => persona.name !== 'guest', public: () => true };

/** The tenants the personas belong to, in persona order. */
export function tenantsOf(world: MatrixWorld): string[] {
  return [...new Set([...world.personas.values()].flatMap((persona) => (persona.tenant ? [persona.tenant] : [])))];
}

export function memberOf(world: MatrixWorld, tenant: string): Persona {
  const member = [...world.personas.values()].find((persona) => persona.tenant === tenant);
  if (!member) throw new Error(`no persona belongs to tenant ${tenant}`);
  return member;
}

export const secretKey = (world: MatrixWorld, base: string) => `${base}secret-${world.runTag}.txt`;
export const pendingKey = (world: MatrixWorld, base: string) => `${base}pending-${world.runTag}.bin`;

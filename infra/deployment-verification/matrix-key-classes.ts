import { memberOf, pendingKey, readersOf, secretKey, tenantsOf, type MatrixWorld, type PendingUpload, type Persona } from './matrix-world.ts';

/** What the rules say about an attempt: allowed (a control), forbidden, or confined (a literal key inside the own prefix that must never reach anyone else's data). */
export type Expectation = 'allow' | 'deny' | 'confined';

export interface KeyClass {
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

export interface ListPrefix {
  prefix: string | undefined;
  expectation: Expectation;
  name: string;
  delimiter?: string;
}

/** The keys `persona` tries, by class: its own, other identities', prefix confusion, traversal, tenants, shared/, protected and public folders. */
export function keyClassesFor(world: MatrixWorld, persona: Persona): KeyClass[] {
  const own = persona.pending;
  const belongingTo = (name: string, expectation: Expectation, base: string, pending: PendingUpload): KeyClass => ({
    name,
    expectation,
    readKey: secretKey(world, base),
    writeKey: `${base}matrix-${persona.name}-${world.runTag}.txt`,
    pendingKey: pending.key,
    uploadId: pending.uploadId,
    partEtag: pending.partEtag,
  });
  const nobodys = (name: string, expectation: Expectation, base: string): KeyClass => belongingTo(name, expectation, base, { key: pendingKey(world, base), uploadId: own.uploadId, partEtag: own.partEtag });
  const self = persona.identityId;
  const classes: KeyClass[] = [belongingTo('own prefix', 'allow', persona.prefix, own)];
  for (const other of world.personas.values()) {
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
  for (const tenant of tenantsOf(world)) {
    const base = `tenants/${tenant}/`;
    const pending = world.tenantPending.get(tenant)!;
    classes.push(tenant === persona.tenant ? belongingTo('own tenant', 'allow', base, pending) : belongingTo(`other tenant (${tenant}, of ${memberOf(world, tenant).name})`, 'deny', base, pending));
  }
  classes.push(nobodys('shared/ (read-only)', 'deny', 'shared/'));
  for (const folder of world.readableFolders) {
    const ownFolder = persona.folders[folder];
    // A guest owns no protected or public folder: its would-be folder is written by nobody.
    const readsNothing = readersOf[folder](persona) ? ({ readsNothing: true } as const) : {};
    classes.push(ownFolder ? belongingTo(`own ${folder} folder`, 'allow', ownFolder.base, ownFolder.pending) : { ...nobodys(`own ${folder} folder (a guest's: not writable)`, 'deny', `${folder}/${self}/`), ...readsNothing });
    for (const other of world.personas.values()) {
      const theirs = other.folders[folder];
      if (other === persona || !theirs) continue;
      classes.push({ ...belongingTo(`${other.name}'s ${folder} folder`, 'deny', theirs.base, theirs.pending), readExpectation: readersOf[folder](persona) ? 'allow' : 'deny' });
    }
    classes.push({ ...nobodys(`${folder} neighbour ${folder}/<self>0/`, 'deny', `${folder}/${self}0/`), ...readsNothing });
    classes.push(nobodys(`${folder}/ root`, 'deny', `${folder}/`));
  }
  return classes;
}

/** List prefixes: the classes above as prefixes, plus crafted ones. */
export function listPrefixesFor(world: MatrixWorld, persona: Persona): ListPrefix[] {
  const self = persona.identityId;
  const prefixes: ListPrefix[] = [
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
  for (const other of world.personas.values()) {
    if (other === persona) continue;
    prefixes.push({ prefix: other.prefix, expectation: 'deny', name: `${other.name}'s prefix` });
    prefixes.push({ prefix: `users/${self}%2F..%2F${other.identityId}/`, expectation: 'deny', name: `encoded traversal to ${other.name}` });
    prefixes.push({ prefix: `users/${self}/../${other.identityId}/`, expectation: 'confined', name: `dot traversal to ${other.name}` });
  }
  for (const tenant of tenantsOf(world)) prefixes.push({ prefix: `tenants/${tenant}/`, expectation: tenant === persona.tenant ? 'allow' : 'deny', name: tenant === persona.tenant ? 'own tenant' : `other tenant ${tenant}` });
  // Protected and public folders: listed only by naming a whole identity segment; never enumerable.
  for (const folder of world.readableFolders) {
    const mayRead = readersOf[folder](persona);
    for (const other of world.personas.values()) {
      if (!other.folders[folder]) continue;
      const mine = other === persona;
      const name = mine ? `own ${folder} folder` : `${other.name}'s ${folder} folder`;
      prefixes.push({ prefix: `${folder}/${other.identityId}/`, expectation: mine || mayRead ? 'allow' : 'deny', name });
      prefixes.push({ prefix: `${folder}/${other.identityId}/`, delimiter: '/', expectation: mine || mayRead ? 'allow' : 'deny', name: `${name} with delimiter` });
      prefixes.push({ prefix: `${folder}/${other.identityId}`, expectation: 'deny', name: `${name} without the slash` });
      prefixes.push({ prefix: `${folder}/${other.identityId.slice(0, 12)}`, expectation: 'deny', name: `${name}: a partial id` });
    }
    for (const crafted of [`${folder}/`, folder, `${folder}/${world.region.split('-')[0]}-`, `${folder}/${world.region}:`, `${folder}/*`, `${folder}//`]) {
      prefixes.push({ prefix: crafted, expectation: 'deny', name: `${folder}: ${JSON.stringify(crafted)}` });
      prefixes.push({ prefix: crafted, delimiter: '/', expectation: 'deny', name: `${folder}: ${JSON.stringify(crafted)} with delimiter` });
    }
  }
  return prefixes;
}

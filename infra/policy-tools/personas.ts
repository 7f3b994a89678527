/** A sample caller the admin tools ask about. */
export interface Persona {
  name: string;
  description: string;
  identityId: string;
  kind: 'authenticated' | 'guest';
  tenant?: string;
}

const ID_PREFIX = 'us-east-1:';
export const PERSONAS: Persona[] = [
  { name: 'alice', description: 'signed-in identity A, member of tenant acme', identityId: `${ID_PREFIX}a11ce000-0000-4000-8000-00000000000a`, kind: 'authenticated', tenant: 'acme' },
  { name: 'bob', description: 'signed-in identity B, member of tenant globex', identityId: `${ID_PREFIX}b0b00000-0000-4000-8000-00000000000b`, kind: 'authenticated', tenant: 'globex' },
  { name: 'carol', description: 'signed-in identity without a tenant', identityId: `${ID_PREFIX}ca201000-0000-4000-8000-00000000000c`, kind: 'authenticated' },
  { name: 'guest', description: 'guest (unauthenticated) identity', identityId: `${ID_PREFIX}9e575000-0000-4000-8000-000000000009`, kind: 'guest' },
];

/** `owner` and `other` read naturally in expectation files: alice, and the identity next to her. */
const ALIASES: Record<string, string> = { owner: 'alice', other: 'bob' };

export function findPersona(nameOrIdentityId: string, tenant?: string): Persona {
  const name = ALIASES[nameOrIdentityId] ?? nameOrIdentityId;
  const persona = PERSONAS.find((candidate) => candidate.name === name);
  if (persona) return tenant === undefined ? persona : { ...persona, tenant };
  if (/^[\w-]+:[0-9a-f-]+$/.test(nameOrIdentityId)) return { name: nameOrIdentityId, description: 'signed-in identity', identityId: nameOrIdentityId, kind: 'authenticated', ...(tenant ? { tenant } : {}) };
  throw new Error(`Unknown persona "${nameOrIdentityId}": use ${[...PERSONAS.map((persona) => persona.name), ...Object.keys(ALIASES)].join(', ')} or an identity id (region:uuid).`);
}

/** Fills the placeholders of a sample key for a persona: {self}, {other}, {tenant}, {otherTenant}. */
export function keyFor(template: string, persona: Persona): string {
  const other = persona.name === 'alice' ? PERSONAS[1]! : PERSONAS[0]!;
  return template.replace(/\{(self|other|tenant|otherTenant)\}/g, (_whole, name: string) => {
    switch (name) {
      case 'self':
        return persona.identityId;
      case 'other':
        return other.identityId;
      case 'tenant':
        return persona.tenant ?? 'acme';
      default:
        return persona.tenant === 'globex' ? 'acme' : 'globex';
    }
  });
}

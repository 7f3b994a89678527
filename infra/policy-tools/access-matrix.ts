import type { PublishedLocation } from '../access-rules/index.ts';
import { isProtectedLocation, locationLabel } from './location-keys.ts';
import { decideForPersona, OPERATIONS, type Operation } from './persona-request.ts';
import { keyFor, PERSONAS, type Persona } from './personas.ts';
import type { StackPolicies } from './stack-policies.ts';

/** One row of the matrix: a class of keys, named by the location it belongs to. */
interface SampleKey {
  /** `protected (protected/{identityId}/): other identity's folder` */
  name: string;
  /** The location's name, or undefined for keys outside every location. */
  location: string | undefined;
  template: string;
}

interface MatrixCell {
  persona: string;
  operation: Operation;
  location: string | undefined;
  keyClass: string;
  key: string;
  allowed: boolean;
}

/**
 * The key classes every admin should see a decision for, per location: an identity location's
 * own folder, another identity's and the prefix neighbour (`<own id>0`); a tenant location's own
 * and other tenant; a shared prefix itself; and the bucket root, outside every location.
 */
export function sampleKeys(locations: readonly PublishedLocation[]): SampleKey[] {
  const samples: SampleKey[] = [];
  for (const location of locations) {
    const label = locationLabel(location);
    const prefix = location.prefix.replace(/\{tag:[^}]+\}/g, '{tenant}');
    const sample = (what: string, template: string) => samples.push({ name: what ? `${label}: ${what}` : label, location: location.name, template: `${template}photo.jpg` });
    if (prefix.includes('{identityId}')) {
      sample('own folder', prefix.replace('{identityId}', '{self}'));
      sample(isProtectedLocation(location) ? "other identity's folder (protected)" : "other identity's folder", prefix.replace('{identityId}', '{other}'));
      sample('prefix neighbour', prefix.replace('{identityId}', '{self}0'));
    } else if (prefix.includes('{tenant}')) {
      sample('own tenant', prefix);
      sample('other tenant', prefix.replaceAll('{tenant}', '{otherTenant}'));
    } else {
      sample('', prefix);
    }
  }
  samples.push({ name: 'bucket root', location: undefined, template: 'photo.jpg' });
  return samples;
}

/** For list, the question is listing the key's folder ("" at the bucket root). */
function subjectFor(operation: Operation, key: string): string {
  return operation === 'list' ? key.slice(0, key.lastIndexOf('/') + 1) : key;
}

export function buildAccessMatrix(stack: StackPolicies, personas: Persona[] = PERSONAS): MatrixCell[] {
  const cells: MatrixCell[] = [];
  for (const persona of personas) {
    for (const operation of OPERATIONS) {
      for (const sample of sampleKeys(stack.locations)) {
        const subject = subjectFor(operation, keyFor(sample.template, persona));
        cells.push({ persona: persona.name, operation, location: sample.location, keyClass: sample.name, key: subject, allowed: decideForPersona(stack, persona, operation, subject).allowed });
      }
    }
  }
  return cells;
}

/** One table per persona: a row per key class (labelled by location), a column per operation. */
export function renderAccessMatrix(cells: MatrixCell[], stack: Pick<StackPolicies, 'guestsAllowed'>): string {
  const personas = [...new Set(cells.map((cell) => cell.persona))];
  const rows = [...new Set(cells.map((cell) => cell.keyClass))];
  const labelWidth = Math.max(...rows.map((row) => row.length));
  const widths = OPERATIONS.map((operation) => Math.max(operation.length, 5));
  const line = (label: string, values: string[]) => `  ${label.padEnd(labelWidth)} | ${values.map((value, index) => value.padEnd(widths[index]!)).join(' | ')}`;
  const output: string[] = [];
  for (const name of personas) {
    const persona = PERSONAS.find((candidate) => candidate.name === name);
    output.push(`${name}${persona ? `: ${persona.description} (${persona.identityId})` : ''}`, line('location: keys', [...OPERATIONS]), `  ${'-'.repeat(labelWidth)}-+-${widths.map((width) => '-'.repeat(width)).join('-+-')}`);
    for (const row of rows) {
      output.push(line(row, OPERATIONS.map((operation) => (cells.find((cell) => cell.persona === name && cell.operation === operation && cell.keyClass === row)?.allowed ? 'allow' : 'deny'))));
    }
    output.push('');
  }
  output.push(
    `Guests: ${stack.guestsAllowed ? 'allowed' : 'not allowed (the guest persona has no role; --allow-guests synthesizes with guests)'}.`,
    'Keys: {self} is the persona\'s identity id, {other} another identity\'s, {self}0 the prefix neighbour (own id plus a character); {tag:...} is the persona\'s tenant (other tenant: the other one).',
    'list = listing the key\'s folder; copy-from = reading the key and writing a copy into the own private folder.',
  );
  return output.join('\n');
}

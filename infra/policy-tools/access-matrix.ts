import { decideForPersona, OPERATIONS, type Operation } from './persona-request.ts';
import { keyFor, PERSONAS, type Persona } from './personas.ts';
import type { StackPolicies } from './stack-policies.ts';

/** The key classes every admin should see a decision for. */
const SAMPLE_KEYS = [
  { name: 'own prefix', template: 'users/{self}/photo.jpg' },
  { name: 'other identity', template: 'users/{other}/photo.jpg' },
  { name: 'prefix neighbour', template: 'users/{self}0/photo.jpg' },
  { name: 'shared', template: 'shared/handbook.pdf' },
  { name: 'own tenant', template: 'tenants/{tenant}/plan.xlsx' },
  { name: 'other tenant', template: 'tenants/{otherTenant}/plan.xlsx' },
  { name: 'bucket root', template: 'photo.jpg' },
] as const;

interface MatrixCell {
  persona: string;
  operation: Operation;
  keyClass: string;
  key: string;
  allowed: boolean;
}

/** For list, the question is listing the key's folder ("" at the bucket root). */
function subjectFor(operation: Operation, key: string): string {
  return operation === 'list' ? key.slice(0, key.lastIndexOf('/') + 1) : key;
}

export function buildAccessMatrix(stack: StackPolicies, personas: Persona[] = PERSONAS): MatrixCell[] {
  const cells: MatrixCell[] = [];
  for (const persona of personas) {
    for (const operation of OPERATIONS) {
      for (const sample of SAMPLE_KEYS) {
        const key = keyFor(sample.template, persona);
        const subject = subjectFor(operation, key);
        cells.push({ persona: persona.name, operation, keyClass: sample.name, key: subject, allowed: decideForPersona(stack, persona, operation, subject).allowed });
      }
    }
  }
  return cells;
}

export function renderAccessMatrix(cells: MatrixCell[]): string {
  const columns = SAMPLE_KEYS.map((sample) => sample.name);
  const rows = new Map<string, MatrixCell[]>();
  for (const cell of cells) {
    const label = `${cell.persona} ${cell.operation}`;
    rows.set(label, [...(rows.get(label) ?? []), cell]);
  }
  const labelWidth = Math.max(...[...rows.keys()].map((label) => label.length), 'who / what'.length);
  const widths = columns.map((column) => Math.max(column.length, 5));
  const line = (label: string, values: string[]) => `${label.padEnd(labelWidth)} | ${values.map((value, index) => value.padEnd(widths[index]!)).join(' | ')}`;
  const output = [line('who / what', columns), `${'-'.repeat(labelWidth)}-+-${widths.map((width) => '-'.repeat(width)).join('-+-')}`];
  for (const [label, rowCells] of rows) output.push(line(label, columns.map((column) => (rowCells.find((cell) => cell.keyClass === column)?.allowed ? 'allow' : 'deny'))));
  const legend = PERSONAS.map((persona) => `  ${persona.name}: ${persona.description} (${persona.identityId})`);
  return [...output, '', 'Personas:', ...legend, '', 'Keys: own prefix users/{self}/…, other identity users/{other}/…, prefix neighbour users/{self}0/…, shared/…, tenants/{tenant}/…, tenants/{other tenant}/…, bucket root. list = listing the key\'s folder; copy-from = reading the key and writing a copy into the own prefix.'].join('\n');
}

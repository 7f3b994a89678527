import { open } from 'node:fs/promises';
import type { SynthesizedTemplate } from '../stack/synthesize-stack-template.ts';

/** Synthesized templates are well under 1 MB; a larger file is not a template and would exhaust memory. */
export const TEMPLATE_SIZE_LIMIT_BYTES = 100 * 1024 * 1024;

export type TemplateFileErrorCode = 'template-unreadable' | 'template-too-large' | 'template-not-json' | 'template-not-cloudformation' | 'template-policies-unreadable';

/** A template file the admin tools cannot use; the message names the file and is one line. */
export class TemplateFileError extends Error {
  override readonly name = 'TemplateFileError';
  constructor(
    readonly code: TemplateFileErrorCode,
    message: string,
  ) {
    super(message);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Reads a CloudFormation template file, refusing before it is read anything too large, and after
 * anything that is not a JSON object with a "Resources" object of resource objects.
 * `label` says which template it is ("base template /tmp/base.json") and starts every error.
 */
export async function readTemplateFile(path: string, label: string): Promise<SynthesizedTemplate['template']> {
  let text: string;
  try {
    const file = await open(path, 'r');
    try {
      const stats = await file.stat();
      if (!stats.isFile()) throw new TemplateFileError('template-unreadable', `${label}: not a file`);
      if (stats.size > TEMPLATE_SIZE_LIMIT_BYTES) {
        throw new TemplateFileError('template-too-large', `${label}: too large (${stats.size} bytes; a template may have at most ${TEMPLATE_SIZE_LIMIT_BYTES} bytes)`);
      }
      text = await file.readFile('utf8');
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof TemplateFileError) throw error;
    throw new TemplateFileError('template-unreadable', `${label}: cannot read it (${reason(error)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TemplateFileError('template-not-json', `${label}: not valid JSON (${reason(error)})`);
  }
  if (!isObject(parsed) || !isObject(parsed.Resources)) throw new TemplateFileError('template-not-cloudformation', `${label}: not a CloudFormation template (no "Resources" object)`);
  const notResource = Object.entries(parsed.Resources).find(([, resource]) => !isObject(resource) || typeof resource.Type !== 'string');
  if (notResource) throw new TemplateFileError('template-not-cloudformation', `${label}: not a CloudFormation template (resource "${notResource[0]}" is not an object with a "Type")`);
  return parsed as SynthesizedTemplate['template'];
}

/** Wraps any failure to compile a template's policies (a malformed statement, a cyclic reference) in one line naming the file. */
export function policiesUnreadable(label: string, error: unknown): TemplateFileError {
  return error instanceof TemplateFileError ? error : new TemplateFileError('template-policies-unreadable', `${label}: cannot read its policies (${reason(error)})`);
}

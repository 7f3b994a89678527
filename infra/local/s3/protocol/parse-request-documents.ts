import { parseChecksumAlgorithm } from '../model/checksum-algorithms.ts';
import type { CompletedPartReference } from '../model/bucket.ts';
import { InvalidArgument, MalformedXML } from '../s3-errors.ts';
import { parseXmlDocument } from './xml-documents.ts';

const MAX_DELETE_KEYS = 1000;

/** The `<CompleteMultipartUpload>` body: the parts to assemble, in the client's order. */
export function parseCompleteMultipartUpload(body: Buffer): CompletedPartReference[] {
  const root = parseXmlDocument(body, 'CompleteMultipartUpload');
  const parts = root.Part;
  if (!Array.isArray(parts) || parts.length === 0) throw new MalformedXML();
  return parts.map((element: unknown) => {
    if (typeof element !== 'object' || element === null) throw new MalformedXML();
    const part = element as Record<string, unknown>;
    const partNumber = textOf(part.PartNumber);
    const etag = textOf(part.ETag);
    if (partNumber === undefined || !/^\d{1,5}$/.test(partNumber) || etag === undefined) throw new MalformedXML();
    const reference: CompletedPartReference = { partNumber: Number(partNumber), etag };
    for (const [name, value] of Object.entries(part)) {
      const algorithm = name.startsWith('Checksum') ? parseChecksumAlgorithm(name.slice('Checksum'.length)) : undefined;
      const text = textOf(value);
      if (algorithm && text !== undefined) reference.checksum = { algorithm, value: text };
    }
    return reference;
  });
}

/** The `<Delete>` body of DeleteObjects. */
export function parseDeleteObjects(body: Buffer): { keys: string[]; quiet: boolean } {
  const root = parseXmlDocument(body, 'Delete');
  const objects = root.Object;
  if (!Array.isArray(objects) || objects.length === 0 || objects.length > MAX_DELETE_KEYS) throw new MalformedXML();
  const keys = objects.map((element: unknown) => {
    const key = typeof element === 'object' && element !== null ? textOf((element as Record<string, unknown>).Key) : undefined;
    if (key === undefined || key === '') throw new MalformedXML();
    const versionId = textOf((element as Record<string, unknown>).VersionId);
    if (versionId !== undefined && versionId !== 'null') throw new InvalidArgument('Invalid version id specified', 'versionId', versionId);
    return key;
  });
  const quiet = textOf(root.Quiet)?.trim().toLowerCase() === 'true';
  return { keys, quiet };
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

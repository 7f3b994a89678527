import { validateHeaderValue, type IncomingHttpHeaders } from 'node:http';
import type { StorageLimits } from '../model/storage-limits.ts';
import { AccessControlListNotSupported, InvalidArgument, KeyTooLongError } from '../s3-errors.ts';
import type { S3Request } from './s3-request.ts';

/** What a POST Object form asks for, in the shapes the rest of the local S3 uses. */
export interface PostObjectFields {
  /** The key after `${filename}` is replaced. */
  key: string;
  /**
   * The form's REST fields as the headers a PutObject would send (`Content-Type`,
   * `x-amz-meta-*`, `x-amz-server-side-encryption`, ...), so the object's attributes and the
   * request's condition keys are read exactly as for PutObject.
   */
  request: S3Request;
  successActionStatus: 200 | 201 | 204;
  successActionRedirect?: string;
}

/** Form fields that are REST headers of the object (lower-case). */
const HEADER_FIELDS = new Set([
  'cache-control',
  'content-type',
  'content-disposition',
  'content-encoding',
  'expires',
  'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-server-side-encryption-bucket-key-enabled',
  'x-amz-storage-class',
  'x-amz-website-redirect-location',
]);

/** Reads the fields of a POST Object form (lower-case names) for `bucket`, the file being named `fileName`. */
export function readPostObjectFields(fields: ReadonlyMap<string, string>, bucket: string, fileName: string, limits: StorageLimits): PostObjectFields {
  const keyField = fields.get('key');
  if (keyField === undefined) {
    throw new InvalidArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.", 'key', '');
  }
  const key = keyField.split('${filename}').join(fileName);
  if (key === '') throw new InvalidArgument('User key must have a length greater than 0.', 'key', '');
  if (Buffer.byteLength(key, 'utf8') > limits.maxKeyBytes) throw new KeyTooLongError(limits.maxKeyBytes);

  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of fields) {
    if (!HEADER_FIELDS.has(name) && !name.startsWith('x-amz-meta-')) continue;
    try {
      validateHeaderValue(name, value);
    } catch {
      throw new InvalidArgument(`The form field ${name} holds characters a header cannot carry.`, name, value);
    }
    headers[name] = value;
  }
  // With bucket-owner-enforced object ownership (the stack's setting) only the default ACL is accepted.
  const acl = fields.get('acl');
  if (acl !== undefined && acl !== 'private') throw new AccessControlListNotSupported();
  const tagging = fields.get('tagging');
  if (tagging !== undefined) headers['x-amz-tagging'] = tagging;

  const redirect = fields.get('success_action_redirect') ?? fields.get('redirect');
  return {
    key,
    request: { method: 'POST', bucket, key, query: new Map(), headers },
    successActionStatus: successStatusOf(fields.get('success_action_status')),
    ...(redirect !== undefined && isWebAddress(redirect) && { successActionRedirect: redirect }),
  };
}

/** S3 answers 204 unless the form asks for 200 or 201. */
function successStatusOf(value: string | undefined): 200 | 201 | 204 {
  if (value === '200') return 200;
  if (value === '201') return 201;
  return 204;
}

/** S3 redirects only to an address it can parse; otherwise it answers as without one. */
function isWebAddress(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'http:' || protocol === 'https:';
}

import { objectArn } from '../request-permissions/operation-permissions.ts';
import { parseDeleteObjects } from '../protocol/parse-request-documents.ts';
import { renderDeleteResult, type DeleteOutcome } from '../protocol/render-write-results.ts';
import type { S3OperationContext } from './operation-context.ts';
import { readSmallRequestBody } from './s3-request-body.ts';
import { sendXml } from './send-response.ts';

const MAX_DELETE_BODY_BYTES = 2 * 1024 * 1024;

/** DeleteObjects: each key is authorized (s3:DeleteObject) and deleted on its own, failures reported per key. */
export async function deleteObjects(context: S3OperationContext): Promise<void> {
  const body = await readSmallRequestBody(context, MAX_DELETE_BODY_BYTES, { requireIntegrityHeader: 'Content-MD5' });
  const { keys, quiet } = parseDeleteObjects(body);
  const outcomes: DeleteOutcome[] = [];
  for (const key of keys) {
    if (!(await context.isAllowed('s3:DeleteObject', objectArn(context.bucket.name, key)))) {
      outcomes.push({ key, error: { code: 'AccessDenied', message: 'Access Denied' } });
      continue;
    }
    try {
      await context.bucket.deleteObject(key);
      outcomes.push({ key });
    } catch {
      outcomes.push({ key, error: { code: 'InternalError', message: 'We encountered an internal error. Please try again.' } });
    }
  }
  sendXml(context.response, renderDeleteResult(outcomes, quiet));
}

import { encodeRfc3986 } from '../../sigv4/signed-request.ts';
import type { StagedBlob } from '../model/blob-directory.ts';
import { EntityTooLarge, EntityTooSmall } from '../s3-errors.ts';
import { parseObjectAttributes, writeEncryptionHeaders } from '../protocol/object-headers.ts';
import type { PostObjectUpload } from '../protocol/parse-operation.ts';
import { renderPostResponse } from '../protocol/render-write-results.ts';
import type { S3OperationContext } from './operation-context.ts';
import { asBodyError } from './s3-request-body.ts';
import { sendEmpty, sendXml } from './send-response.ts';

/**
 * Stores the file of a verified, authorized POST Object form: streamed to a staged blob like a
 * PutObject body (never held in memory), measured against the policy's `content-length-range`,
 * then answered as the form asked (204, 200, 201 with a `PostResponse`, or a 303 redirect).
 */
export async function postObject(context: S3OperationContext, key: string, upload: PostObjectUpload): Promise<void> {
  const { request, response, bucket, limits } = context;
  const attributes = parseObjectAttributes(request, limits.maxUserMetadataBytes, context);
  const staged = await bucket.stage(upload.file, { maxBytes: upload.maxBytes }).catch((error: unknown) => {
    if (error instanceof EntityTooLarge) throw new EntityTooLarge(Number(error.details.ProposedSize), upload.maxBytes);
    throw asBodyError(error);
  });
  await refuseTooSmall(context, staged, upload.minBytes);
  const record = await bucket.putObject({ key, staged, attributes });
  const location = `${context.endpointUrl}/${encodeRfc3986(bucket.name)}/${key.split('/').map(encodeRfc3986).join('/')}`;
  writeEncryptionHeaders(response, record.encryption);
  response.setHeader('etag', record.etag);
  response.setHeader('location', location);
  if (upload.successActionRedirect !== undefined) {
    const target = new URL(upload.successActionRedirect);
    target.searchParams.set('bucket', bucket.name);
    target.searchParams.set('key', key);
    target.searchParams.set('etag', record.etag);
    response.setHeader('location', target.toString());
    return sendEmpty(response, 303);
  }
  if (upload.successActionStatus === 201) return sendXml(response, renderPostResponse(location, bucket.name, key, record.etag), 201);
  sendEmpty(response, upload.successActionStatus);
}

async function refuseTooSmall(context: S3OperationContext, staged: StagedBlob, minBytes: number): Promise<void> {
  if (staged.size >= minBytes) return;
  await context.bucket.discard(staged);
  throw new EntityTooSmall(undefined, staged.size, minBytes);
}

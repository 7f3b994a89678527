import type { IncomingMessage } from 'node:http';
import { verifyPostSignature } from '../sigv4/verify-post-signature.ts';
import type { CredentialLookup } from '../credentials/issued-credentials.ts';
import type { ObjectStore } from './model/object-store.ts';
import type { S3OperationContext } from './operations/operation-context.ts';
import { runOperation } from './operations/run-operation.ts';
import type { S3Operation } from './protocol/parse-operation.ts';
import { PostObjectFormReader } from './protocol/post-object-form.ts';
import { readPostObjectFields } from './protocol/post-object-fields.ts';
import { checkPostPolicy, parsePostPolicy } from './protocol/post-policy.ts';
import type { S3Request } from './protocol/s3-request.ts';
import type { AuthorizeS3Request, RequestContext } from './request-permissions/authorize-callback.ts';
import { permissionsFor } from './request-permissions/operation-permissions.ts';
import { buildPostRequestContext, type TransportFacts } from './request-permissions/s3-request-context.ts';
import { AccessDenied, InternalError, InvalidArgument } from './s3-errors.ts';

const MISSING_KEY = "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.";

interface PostObjectRouteInput {
  request: IncomingMessage;
  s3Request: S3Request;
  store: ObjectStore;
  credentials: CredentialLookup;
  authorize: AuthorizeS3Request;
  transport: TransportFacts;
  now: Date;
  bodyIdleTimeoutMs: number;
  /** Everything an operation needs but the request, the caller and the body (filled in here). */
  operationContext: Omit<S3OperationContext, 'request' | 'bucket' | 'caller' | 'openPayload' | 'isAllowed'>;
}

/**
 * A browser-based upload: the form is read up to its file, its SigV4 signature over the policy
 * is verified, the policy checked against the fields, and the upload authorized as `s3:PutObject`
 * on its key through the same role and bucket policies as a PutObject (with the condition keys
 * its fields set, `s3:x-amz-server-side-encryption` among them); only then does the file stream
 * to disk.
 */
export async function servePostObject(input: PostObjectRouteInput): Promise<void> {
  const { s3Request, operationContext } = input;
  const bucket = input.store.bucket(s3Request.bucket);
  const reader = new PostObjectFormReader(input.request, input.bodyIdleTimeoutMs);
  try {
    const form = await reader.read();
    // S3 names the key first: a form whose fields come after its file has none.
    if (!form.fields.has('key')) throw new InvalidArgument(MISSING_KEY, 'key', '');
    const policy = form.fields.get('policy');
    if (policy === undefined) {
      // Without a policy the upload is anonymous; the local S3 grants anonymous callers nothing.
      if (form.fields.has('x-amz-signature') || form.fields.has('x-amz-credential')) {
        throw new InvalidArgument("Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the fields.", 'policy', '');
      }
      throw new AccessDenied();
    }
    const verified = await verifyPostSignature(
      {
        policy,
        algorithm: form.fields.get('x-amz-algorithm'),
        credential: form.fields.get('x-amz-credential'),
        date: form.fields.get('x-amz-date'),
        signature: form.fields.get('x-amz-signature'),
        securityToken: form.fields.get('x-amz-security-token'),
      },
      { region: operationContext.region, credentials: input.credentials, now: input.now },
    );
    const fields = readPostObjectFields(form.fields, bucket.name, form.fileName, operationContext.limits);
    const allowed = checkPostPolicy(parsePostPolicy(policy), { fields: form.fields, bucket: bucket.name, key: fields.key }, input.now);
    const operation: S3Operation = {
      name: 'PostObject',
      bucket: bucket.name,
      key: fields.key,
      upload: {
        file: form.file,
        minBytes: allowed.minBytes,
        maxBytes: Math.min(allowed.maxBytes, operationContext.limits.maxObjectBytes),
        successActionStatus: fields.successActionStatus,
        ...(fields.successActionRedirect !== undefined && { successActionRedirect: fields.successActionRedirect }),
      },
    };
    const requestContext = buildPostRequestContext(verified, input.transport, input.now, operationContext.region);
    const isAllowed = async (action: string, resource: string, extra: RequestContext = {}): Promise<boolean> =>
      (await input.authorize({ caller: verified.caller, action, resource, context: { ...requestContext, ...extra } })).allowed;
    for (const permission of permissionsFor(operation, fields.request)) {
      if (!(await isAllowed(permission.action, permission.resource, permission.context))) throw new AccessDenied();
    }
    await runOperation(operation, {
      ...operationContext,
      request: fields.request,
      bucket,
      caller: verified.caller,
      isAllowed,
      openPayload: () => {
        // The form's file is the body (in the operation); a POST has no other payload to open.
        throw new InternalError();
      },
    });
  } finally {
    await reader.release();
  }
}

import type { ServerResponse } from 'node:http';
import type { IssuedCredentials } from '../../credentials/issued-credentials.ts';
import type { VerifiedPayload } from '../../sigv4/open-verified-payload.ts';
import type { RequestContext } from '../request-permissions/authorize-callback.ts';
import type { Bucket } from '../model/bucket.ts';
import type { ObjectStore } from '../model/object-store.ts';
import type { StorageLimits } from '../model/storage-limits.ts';
import type { Owner } from '../protocol/render-list-results.ts';
import type { S3Request } from '../protocol/s3-request.ts';

/** What an operation works with once the request is authenticated and authorized. */
export interface S3OperationContext {
  request: S3Request;
  response: ServerResponse;
  bucket: Bucket;
  /** For copy sources in other buckets. */
  store: ObjectStore;
  caller: IssuedCredentials;
  /** Opens the request body, verified against the signature as it streams (once). */
  openPayload(): VerifiedPayload;
  /** One more permission check, for operations that decide per item (DeleteObjects) or per outcome (GET of a missing key). */
  isAllowed(action: string, resource: string, context?: RequestContext): Promise<boolean>;
  limits: StorageLimits;
  region: string;
  accountId: string;
  owner: Owner;
  /** `http://host` as the client addressed the endpoint, for `Location` elements. */
  endpointUrl: string;
}

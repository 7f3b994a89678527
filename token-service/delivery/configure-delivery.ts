import type { ConfiguredDelivery } from '../routes/link-routes.ts';
import { CdnSigner } from './cdn-signer.ts';
import { DeliveryLocations } from './delivery-locations.ts';
import { DEFAULT_MAX_LINK_SECONDS, type DeliveryOptions } from './delivery-options.ts';
import { ReadAccessPolicy } from './read-access-policy.ts';

/** Checks the delivery options once at start (a bad key, URL or rule fails the app, not a request), compiles the rules and builds what the routes use. */
export function configureDelivery(options: DeliveryOptions, deployment: { identityPoolId: string; developerProviderName: string }): ConfiguredDelivery {
  const problems: string[] = [];
  if (!URL.canParse(options.cdnUrl) || !/^https?:$/.test(new URL(options.cdnUrl).protocol)) problems.push(`cdnUrl must be an http(s) URL (got ${JSON.stringify(options.cdnUrl)})`);
  else if (new URL(options.cdnUrl).search !== '' || new URL(options.cdnUrl).hash !== '') problems.push('cdnUrl must not have a query or fragment');
  if (!/^[A-Z0-9]{1,128}$/.test(options.keyPairId)) problems.push(`keyPairId must be a CloudFront public key id (upper-case letters and digits, got ${JSON.stringify(options.keyPairId)})`);
  if ((options.privateKeyPem === undefined) === (options.loadPrivateKey === undefined)) problems.push('give exactly one of privateKeyPem and loadPrivateKey');
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) problems.push(`bucket must be an S3 bucket name (got ${JSON.stringify(options.bucket)})`);
  const maxLinkSeconds = options.maxLinkSeconds ?? DEFAULT_MAX_LINK_SECONDS;
  if (!Number.isInteger(maxLinkSeconds) || maxLinkSeconds < 1 || maxLinkSeconds > DEFAULT_MAX_LINK_SECONDS) problems.push(`maxLinkSeconds must be a whole number from 1 to ${DEFAULT_MAX_LINK_SECONDS} (got ${maxLinkSeconds})`);
  if (options.cookieDomain !== undefined && !/^[a-z0-9.-]{1,253}$/i.test(options.cookieDomain)) problems.push(`cookieDomain must be a domain name (got ${JSON.stringify(options.cookieDomain)})`);
  if (problems.length > 0) throw new Error(`The delivery options are not usable: ${problems.join('; ')}.`);
  return {
    cdnUrl: options.cdnUrl.replace(/\/+$/, ''),
    signer: new CdnSigner(options.keyPairId, options.privateKeyPem !== undefined ? { pem: options.privateKeyPem } : { load: options.loadPrivateKey! }),
    locations: new DeliveryLocations(options.accessRules),
    readAccess: new ReadAccessPolicy({ bucket: options.bucket, accessRules: options.accessRules, ...deployment }),
    maxLinkSeconds,
    cookieDomain: options.cookieDomain,
  };
}

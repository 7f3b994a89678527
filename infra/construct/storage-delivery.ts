import { Annotations, Aws, CustomResource, Duration, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachedMethods,
  CachePolicy,
  CacheQueryStringBehavior,
  Distribution,
  KeyGroup,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  PublicKey,
  ResponseHeadersPolicy,
  S3OriginAccessControl,
  Signing,
  ViewerProtocolPolicy,
  type BehaviorOptions,
  type IKeyGroup,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { PublishedLocation } from '../access-rules/index.ts';
import { CdnKeyPairFunction } from './cdn-key-pair/cdn-key-pair-function.ts';
import { DELIVERY_DEFAULTS, type CdnKeySlot, type DeliveryOptions } from './delivery-options.ts';
import { deliveredObjectPatterns, publicPathPatterns } from './delivery-path-patterns.ts';

export interface StorageDeliveryProps extends DeliveryOptions {
  readonly bucket: IBucket;
  readonly encryptionKey?: IKey;
  /** The access rules as published: every location is readable through the CDN, the public ones unsigned. */
  readonly locations: readonly PublishedLocation[];
  /** The app's origins (the construct's `allowedOrigins`): the CDN answers their CORS requests, with credentials. */
  readonly allowedOrigins: readonly string[];
}

/** Resource type of the key pair custom resource (attributes `PublicKeyPem`, `SecretArn`). */
export const CDN_KEY_PAIR_RESOURCE_TYPE = 'Custom::CloudFrontKeyPair';
/** Sid of the bucket policy statement letting the distribution read the locations. */
export const CDN_READ_STATEMENT_SID = 'CloudFrontReadsLocations';
/** The one query parameter signed links may add, forwarded to S3 and part of the cache key. */
export const FORWARDED_QUERY_PARAMETERS = ['response-content-disposition'];
/** Response headers a page's script may read from a CDN answer. */
export const CDN_EXPOSED_HEADERS = ['ETag', 'Content-Length', 'Content-Type', 'Last-Modified', 'Accept-Ranges'];
/** Request headers a page may send to the CDN beyond the CORS-safelisted ones: ranges and revalidation. */
export const CDN_REQUEST_HEADERS = ['Range', 'If-None-Match', 'If-Modified-Since'];
/**
 * Content-Security-Policy of every CDN answer. Users upload what the CDN serves, and the viewer's
 * signed cookies are sent to the CDN's origin: a document opened from it (an uploaded HTML or SVG)
 * must run nothing and reach nothing, or its script would read the viewer's files with those
 * cookies. `sandbox` gives it an opaque origin without scripts, forms or popups. Images and videos
 * shown by the app's page (`<img>`, `<video>`) are not documents, so the policy does not touch them.
 */
export const CDN_CONTENT_SECURITY_POLICY = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox";

/**
 * A CloudFront distribution in front of the bucket (origin access control, HTTPS only, GET and
 * HEAD): every location through signed URLs or cookies of the distribution's key group, public
 * locations also unsigned. The key pairs are created in the account, their private keys kept in
 * Secrets Manager only.
 */
export class StorageDelivery extends Construct {
  readonly distribution: Distribution;
  readonly keyGroup: IKeyGroup;
  /** `https://<distribution domain>`: the stack's `cdnUrl` output. */
  readonly cdnUrl: string;
  /** Id of the CloudFront public key the token service signs with (the active slot's). */
  readonly activeKeyPairId: string;
  /** ARN of the secret holding the active slot's private key PEM. */
  readonly activePrivateKeySecretArn: string;
  readonly activeKeySlot: CdnKeySlot;
  readonly maxLinkLifetime: Duration;
  readonly cookieDomain?: string;

  constructor(scope: Construct, id: string, props: StorageDeliveryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const slots = props.keySlots ?? DELIVERY_DEFAULTS.keySlots;
    this.activeKeySlot = props.activeKeySlot ?? slots[0]!;
    this.maxLinkLifetime = props.maxLinkLifetime ?? DELIVERY_DEFAULTS.maxLinkLifetime;
    this.cookieDomain = props.cookieDomain;

    const secretNamePrefix = `${stack.stackName}/cdn-key`;
    // CloudFront names are global to the account: the region keeps the same stack in two regions apart.
    const globalName = (suffix: string, maxLength: number): string => `${stack.stackName.slice(0, maxLength - 32)}-${stack.region}-${suffix}`;
    const keyPairFunction = new CdnKeyPairFunction(this, 'KeyPairFunction', { secretNamePrefix });
    const publicKeys = slots.map((slot) => {
      const slotName = slot.toUpperCase();
      const keyPair = new CustomResource(this, `KeyPair${slotName}`, {
        serviceToken: keyPairFunction.function.functionArn,
        resourceType: CDN_KEY_PAIR_RESOURCE_TYPE,
        properties: { SecretNamePrefix: `${secretNamePrefix}-${slot}`, Description: `Private key of the CDN key pair slot ${slot} of ${stack.stackName}; read by its token service.` },
      });
      const publicKey = new PublicKey(this, `PublicKey${slotName}`, {
        publicKeyName: globalName(`cdn-key-${slot}`, 128),
        comment: `Key pair slot ${slot}: its private key is in Secrets Manager.`,
        encodedKey: keyPair.getAttString('PublicKeyPem'),
      });
      return { slot, keyPair, publicKey };
    });
    const active = publicKeys.find((key) => key.slot === this.activeKeySlot)!;
    this.activeKeyPairId = active.publicKey.publicKeyId;
    this.activePrivateKeySecretArn = active.keyPair.getAttString('SecretArn');
    this.keyGroup = new KeyGroup(this, 'KeyGroup', {
      keyGroupName: globalName('cdn-keys', 128),
      comment: 'Keys the token service signs CDN links and cookies with.',
      items: publicKeys.map(({ publicKey }) => publicKey),
    });

    // The origin gets a reference to the bucket, not the bucket: CDK's OAC helper would otherwise
    // add its own statement granting every object of the bucket; this construct grants the locations only.
    const originBucket = Bucket.fromBucketAttributes(this, 'OriginBucket', {
      bucketArn: props.bucket.bucketArn,
      bucketName: props.bucket.bucketName,
      bucketRegionalDomainName: props.bucket.bucketRegionalDomainName,
      encryptionKey: props.encryptionKey,
    });
    const originAccessControl = new S3OriginAccessControl(this, 'OriginAccessControl', {
      originAccessControlName: globalName('storage', 64),
      description: 'CloudFront signs its requests to the storage bucket (SigV4); the bucket policy admits this distribution only.',
      signing: Signing.SIGV4_ALWAYS,
    });
    const origin = S3BucketOrigin.withOriginAccessControl(originBucket, { originAccessControl });
    Annotations.of(this).acknowledgeWarning('@aws-cdk/aws-cloudfront-origins:updateImportedBucketPolicyOac', 'The bucket policy statement for the distribution is added by StorageDelivery, limited to the locations.');

    const signedCachePolicy = new CachePolicy(this, 'SignedCachePolicy', {
      comment: 'CachingOptimized plus response-content-disposition (signed download links) in the cache key, which also forwards it to S3.',
      defaultTtl: Duration.days(1),
      minTtl: Duration.seconds(1),
      maxTtl: Duration.days(365),
      enableAcceptEncodingGzip: true,
      enableAcceptEncodingBrotli: true,
      queryStringBehavior: CacheQueryStringBehavior.allowList(...FORWARDED_QUERY_PARAMETERS),
    });
    // The managed SECURITY_HEADERS policy's headers and a sandboxing CSP (overriding whatever the
    // origin says), plus CORS for the app's origins: the page reads files with fetch and cookies
    // (signed cookies), so credentials are allowed, for those origins only.
    const responseHeadersPolicy = new ResponseHeadersPolicy(this, 'ResponseHeadersPolicy', {
      responseHeadersPolicyName: globalName('cdn-headers', 128),
      comment: 'Managed SecurityHeadersPolicy headers, a CSP sandboxing every served document, CORS with credentials for the app origins.',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: CDN_CONTENT_SECURITY_POLICY, override: true },
        strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: false, override: false },
        contentTypeOptions: { override: false },
        frameOptions: { frameOption: HeadersFrameOption.SAMEORIGIN, override: false },
        xssProtection: { protection: true, modeBlock: true, override: false },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override: false },
      },
      corsBehavior: {
        accessControlAllowOrigins: [...props.allowedOrigins],
        accessControlAllowMethods: ['GET', 'HEAD'],
        accessControlAllowHeaders: CDN_REQUEST_HEADERS,
        accessControlAllowCredentials: true,
        accessControlExposeHeaders: CDN_EXPOSED_HEADERS,
        accessControlMaxAge: Duration.minutes(10),
        originOverride: true,
      },
    });
    const common: Omit<BehaviorOptions, 'cachePolicy'> = {
      origin,
      viewerProtocolPolicy: ViewerProtocolPolicy.HTTPS_ONLY,
      // OPTIONS reaches the distribution so its response headers policy answers preflights; nothing but GET and HEAD reads or is cached.
      allowedMethods: AllowedMethods.ALLOW_GET_HEAD_OPTIONS,
      cachedMethods: CachedMethods.CACHE_GET_HEAD,
      responseHeadersPolicy,
      compress: true,
    };
    this.distribution = new Distribution(this, 'Distribution', {
      comment: `${stack.stackName}: scoped storage delivery`,
      priceClass: props.priceClass ?? DELIVERY_DEFAULTS.priceClass,
      enableLogging: props.logBucket !== undefined,
      logBucket: props.logBucket,
      logFilePrefix: props.logBucket ? 'scoped-storage-cdn/' : undefined,
      defaultBehavior: { ...common, cachePolicy: signedCachePolicy, trustedKeyGroups: [this.keyGroup] },
      additionalBehaviors: Object.fromEntries(publicPathPatterns(props.locations).map(({ pathPattern }) => [pathPattern, { ...common, cachePolicy: CachePolicy.CACHING_OPTIMIZED }])),
    });
    this.cdnUrl = `https://${this.distribution.distributionDomainName}`;

    props.bucket.addToResourcePolicy(
      new PolicyStatement({
        sid: CDN_READ_STATEMENT_SID,
        effect: Effect.ALLOW,
        principals: [new ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: deliveredObjectPatterns(props.locations).map((pattern) => props.bucket.arnForObjects(pattern)),
        conditions: { StringEquals: { 'AWS:SourceArn': `arn:${Aws.PARTITION}:cloudfront::${Aws.ACCOUNT_ID}:distribution/${this.distribution.distributionId}` } },
      }),
    );
    this.acknowledgeNagFindings(props.logBucket !== undefined);
  }

  private acknowledgeNagFindings(hasLogs: boolean): void {
    const distribution = this.distribution.node.defaultChild as CfnElement;
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason: 'The distribution uses its default *.cloudfront.net certificate, for which CloudFront does not let a minimum TLS version be set; viewers are HTTPS only, and a custom domain with its own certificate is outside this construct.',
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason: 'Files are for the app\'s users wherever they are; who may read what is decided by signed URLs and cookies per file and location, not by country.',
    });
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason: 'The distribution only serves GET and HEAD of S3 objects (no application behind it, no forms, no query strings but response-content-disposition), every non-public path needs a CloudFront signature checked at the edge; a web ACL would add cost without a rule to apply.',
    });
    if (!hasLogs) {
      Validations.of(distribution).acknowledge({ id: 'AwsSolutions-CFR3', reason: 'CloudFront standard logs are opt-in through delivery.logBucket (a bucket with ACLs, which this construct does not create).' });
    }
  }
}

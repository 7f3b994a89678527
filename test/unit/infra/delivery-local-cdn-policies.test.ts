import { generateKeyPairSync } from 'node:crypto';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { forwardsQueryString, type QueryStringForwarding } from '../../../infra/local/cdn/model/query-string-forwarding.ts';
import { readTemplateDistribution } from '../../../infra/local/cdn/model/read-template-distribution.ts';
import { UnsupportedDistributionError } from '../../../infra/local/cdn/model/read-template-policies.ts';
import { writePolicyHeaders, type PolicyHeader } from '../../../infra/local/cdn/protocol/response-headers-policy-headers.ts';

const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const SECURITY_HEADERS = '67f7725c-6f97-4210-82d7-5512b31e9d03';
const ALL_VIEWER = '216adef6-5c7f-47e4-b989-5492eafa07d3';
const PUBLIC_KEY_PEM = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }).toString();

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** A template with one OAC distribution over one bucket: the default behaviour as given, plus extra resources. */
function distributionOf(defaultBehaviour: Record<string, unknown>, resources: Resources = {}, cacheBehaviours: Array<Record<string, unknown>> = []) {
  return readTemplateDistribution({
    resources: {
      Key: { Type: 'AWS::CloudFront::PublicKey', Properties: { PublicKeyConfig: { EncodedKey: PUBLIC_KEY_PEM } } },
      Distribution: {
        Type: 'AWS::CloudFront::Distribution',
        Properties: {
          DistributionConfig: {
            Origins: [{ Id: 'origin', DomainName: 'bucket.s3.us-east-1.amazonaws.com', OriginAccessControlId: 'oac' }],
            DefaultCacheBehavior: defaultBehaviour,
            CacheBehaviors: cacheBehaviours,
          },
        },
      },
      ...resources,
    },
    accountId: '000000000000',
    // Logical ids stand for physical ids: a reference is the logical id itself.
    physicalId: (logicalId) => logicalId,
    resolved: <T>(_logicalId: string, value: unknown) => value as T,
    bucketForDomain: (domainName) => (domainName === 'bucket.s3.us-east-1.amazonaws.com' ? 'bucket' : undefined),
  })!;
}

const responseHeadersPolicy = (config: Record<string, unknown>) => ({ Type: 'AWS::CloudFront::ResponseHeadersPolicy', Properties: { ResponseHeadersPolicyConfig: { Name: 'policy', ...config } } });

describe('the local CDN reads each behaviour\'s response headers policy from the template', () => {
  it('writes every security header in CloudFront\'s form, with its override, and the custom headers', () => {
    const distribution = distributionOf(
      { CachePolicyId: CACHING_OPTIMIZED, ResponseHeadersPolicyId: 'Headers' },
      {
        Headers: responseHeadersPolicy({
          SecurityHeadersConfig: {
            ContentSecurityPolicy: { ContentSecurityPolicy: "default-src 'none'; sandbox", Override: true },
            ContentTypeOptions: { Override: false },
            FrameOptions: { FrameOption: 'DENY', Override: true },
            ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: false },
            StrictTransportSecurity: { AccessControlMaxAgeSec: 600, IncludeSubdomains: true, Preload: true, Override: false },
            XSSProtection: { Protection: true, ReportUri: 'https://report.example/x', Override: 'true' },
          },
          CustomHeadersConfig: { Items: [{ Header: 'X-Served-By', Value: 'cdn', Override: false }] },
        }),
      },
    );
    expect(distribution.behaviours[0]!.policyHeaders).toEqual([
      { name: 'content-security-policy', value: "default-src 'none'; sandbox", override: true },
      { name: 'x-content-type-options', value: 'nosniff', override: false },
      { name: 'x-frame-options', value: 'DENY', override: true },
      { name: 'referrer-policy', value: 'no-referrer', override: false },
      { name: 'strict-transport-security', value: 'max-age=600; includeSubDomains; preload', override: false },
      { name: 'x-xss-protection', value: '1; report=https://report.example/x', override: true },
      { name: 'x-served-by', value: 'cdn', override: false },
    ]);
  });

  it('X-XSS-Protection off is "0"; a policy with CORS only adds no security header', () => {
    const distribution = distributionOf(
      { CachePolicyId: CACHING_OPTIMIZED, ResponseHeadersPolicyId: 'Off' },
      {
        Off: responseHeadersPolicy({ SecurityHeadersConfig: { XSSProtection: { Protection: false, ModeBlock: true, Override: false } } }),
        CorsOnly: responseHeadersPolicy({ CorsConfig: { AccessControlAllowOrigins: { Items: ['https://app.example'] }, AccessControlAllowMethods: { Items: ['GET'] } } }),
      },
      [{ PathPattern: 'cors/*', CachePolicyId: CACHING_OPTIMIZED, ResponseHeadersPolicyId: 'CorsOnly' }],
    );
    const [cors, fallback] = distribution.behaviours;
    expect(fallback!.policyHeaders).toEqual([{ name: 'x-xss-protection', value: '0', override: false }]);
    expect(cors!.policyHeaders).toEqual([]);
    expect(cors!.cors?.allowOrigins).toEqual(['https://app.example']);
  });

  it('the managed SecurityHeadersPolicy adds its five headers and no CSP; no policy adds nothing', () => {
    const distribution = distributionOf({ CachePolicyId: CACHING_OPTIMIZED, ResponseHeadersPolicyId: SECURITY_HEADERS }, {}, [{ PathPattern: 'bare/*', CachePolicyId: CACHING_OPTIMIZED }]);
    const [bare, managed] = distribution.behaviours;
    expect(Object.fromEntries(managed!.policyHeaders.map((header) => [header.name, header.value]))).toEqual({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'referrer-policy': 'strict-origin-when-cross-origin',
      'strict-transport-security': 'max-age=31536000',
      'x-xss-protection': '1; mode=block',
    });
    expect(managed!.cors).toBeUndefined();
    expect(bare!.policyHeaders).toEqual([]);
  });

  it('refuses what it would get wrong: an unknown managed policy, removed headers, credentials for every origin', () => {
    expect(() => distributionOf({ CachePolicyId: CACHING_OPTIMIZED, ResponseHeadersPolicyId: '60669652-455b-4ae9-85a4-c4c02393f86c' })).toThrow(UnsupportedDistributionError);
    expect(() => distributionOf({ CachePolicyId: CACHING_OPTIMIZED, ResponseHeadersPolicyId: 'Remove' }, { Remove: responseHeadersPolicy({ RemoveHeadersConfig: { Items: [{ Header: 'Server' }] } }) })).toThrow(/RemoveHeadersConfig/);
    expect(() =>
      distributionOf(
        { CachePolicyId: CACHING_OPTIMIZED, ResponseHeadersPolicyId: 'Star' },
        { Star: responseHeadersPolicy({ CorsConfig: { AccessControlAllowOrigins: { Items: ['*'] }, AccessControlAllowCredentials: true } }) },
      ),
    ).toThrow(/credentials/);
  });
});

describe('the local CDN forwards the query strings each behaviour\'s policies forward', () => {
  const cachePolicy = (behavior: string, names?: string[]) => ({
    Type: 'AWS::CloudFront::CachePolicy',
    Properties: { CachePolicyConfig: { ParametersInCacheKeyAndForwardedToOrigin: { QueryStringsConfig: { QueryStringBehavior: behavior, ...(names ? { QueryStrings: names } : {}) } } } },
  });
  const originRequestPolicy = (behavior: string, names?: string[]) => ({
    Type: 'AWS::CloudFront::OriginRequestPolicy',
    Properties: { OriginRequestPolicyConfig: { QueryStringsConfig: { QueryStringBehavior: behavior, ...(names ? { QueryStrings: { Items: names } } : {}) } } },
  });
  const forwardingOf = (behaviour: Record<string, unknown>, resources: Resources = {}): QueryStringForwarding => distributionOf(behaviour, resources).behaviours[0]!.forwardedQueryStrings;

  it('CachingOptimized forwards none; a custom allow list forwards exactly its names, case-sensitively', () => {
    const optimized = forwardingOf({ CachePolicyId: CACHING_OPTIMIZED });
    expect(forwardsQueryString(optimized, 'response-content-disposition')).toBe(false);
    const listed = forwardingOf({ CachePolicyId: 'Signed' }, { Signed: cachePolicy('whitelist', ['response-content-disposition']) });
    expect(forwardsQueryString(listed, 'response-content-disposition')).toBe(true);
    expect(forwardsQueryString(listed, 'Response-Content-Disposition')).toBe(false);
    expect(forwardsQueryString(listed, 'response-content-type')).toBe(false);
  });

  it('all, all-except, the legacy ForwardedValues, and an origin request policy adding to the cache policy', () => {
    expect(forwardsQueryString(forwardingOf({ CachePolicyId: 'All' }, { All: cachePolicy('all') }), 'anything')).toBe(true);
    const except = forwardingOf({ CachePolicyId: 'Except' }, { Except: cachePolicy('allExcept', ['response-content-disposition']) });
    expect(forwardsQueryString(except, 'response-content-disposition')).toBe(false);
    expect(forwardsQueryString(except, 'other')).toBe(true);
    expect(forwardsQueryString(forwardingOf({ ForwardedValues: { QueryString: true } }), 'response-content-disposition')).toBe(true);
    expect(forwardsQueryString(forwardingOf({ ForwardedValues: { QueryString: false } }), 'response-content-disposition')).toBe(false);
    expect(forwardsQueryString(forwardingOf({ CachePolicyId: CACHING_OPTIMIZED, OriginRequestPolicyId: ALL_VIEWER }), 'response-content-disposition')).toBe(true);
    const added = forwardingOf({ CachePolicyId: 'Listed', OriginRequestPolicyId: 'Origin' }, { Listed: cachePolicy('whitelist', ['a']), Origin: originRequestPolicy('whitelist', ['b']) });
    expect(['a', 'b', 'c'].map((name) => forwardsQueryString(added, name))).toEqual([true, true, false]);
    const mixed = forwardingOf({ CachePolicyId: 'Listed', OriginRequestPolicyId: 'Except' }, { Listed: cachePolicy('whitelist', ['a']), Except: originRequestPolicy('allExcept', ['a', 'b']) });
    expect(['a', 'b', 'c'].map((name) => forwardsQueryString(mixed, name))).toEqual([true, false, true]);
  });

  it('refuses a cache or origin request policy it does not know', () => {
    expect(() => forwardingOf({ CachePolicyId: '08627262-05a9-4f76-9ded-b50ca2e3a84f' })).toThrow(UnsupportedDistributionError);
    expect(() => forwardingOf({ CachePolicyId: CACHING_OPTIMIZED, OriginRequestPolicyId: 'b689b0a8-53d0-40ab-baf2-68738e2966ac' })).toThrow(/origin request policy/);
    expect(() => forwardingOf({ CachePolicyId: 'Odd' }, { Odd: cachePolicy('some') })).toThrow(/QueryStringBehavior/);
  });
});

describe('writing the policy headers onto an answer', () => {
  /** The headers a real Node server sends when `prepare` sets the origin's headers and then the policy's are written. */
  async function answerHeaders(prepare: (response: ServerResponse) => void, headers: readonly PolicyHeader[]): Promise<Record<string, unknown>> {
    const server = createServer((_request, response) => {
      prepare(response);
      writePolicyHeaders(headers, response);
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      return await new Promise((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/' }, (response) => {
          response.resume();
          resolve(response.headers);
        })
          .on('error', reject)
          .end();
      });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  it('an overriding header replaces the origin\'s; a non-overriding one yields to it, and is added when the origin sent none', async () => {
    const headers = await answerHeaders(
      (response) => {
        response.setHeader('content-security-policy', "script-src 'unsafe-inline'");
        response.setHeader('x-frame-options', 'ALLOWALL');
      },
      [
        { name: 'content-security-policy', value: 'sandbox', override: true },
        { name: 'x-frame-options', value: 'SAMEORIGIN', override: false },
        { name: 'x-content-type-options', value: 'nosniff', override: false },
      ],
    );
    expect(headers['content-security-policy']).toBe('sandbox');
    expect(headers['x-frame-options']).toBe('ALLOWALL');
    expect(headers['x-content-type-options']).toBe('nosniff');
  });
});

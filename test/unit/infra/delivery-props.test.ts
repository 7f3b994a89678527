import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { describe, expect, it } from 'vitest';
import { BROWSER_REQUEST_HEADERS, publishedLocations, ScopedStorage, ScopedStoragePropsError, type AccessRule, type ScopedStorageProps } from '../../../infra/construct/index.ts';
import { environmentBytes, MAX_LAMBDA_ENVIRONMENT_BYTES, UNRESOLVED_VALUE_BYTES } from '../../../infra/construct/token-service-environment-size.ts';
import { buildStack, type BuildStackOptions } from '../../../infra/stack/build-stack.ts';

function construct(props: Partial<ScopedStorageProps>): Template {
  const stack = new Stack(new App(), 'Test', { env: { account: '111122223333', region: 'eu-west-1' } });
  new ScopedStorage(stack, 'Storage', { allowedOrigins: ['https://app.example.com'], ...props });
  return Template.fromStack(stack);
}

function stackWithContext(context: Record<string, unknown>, options: Partial<BuildStackOptions> = {}) {
  return buildStack({ app: new App({ context }), nagChecks: false, allowedOrigins: ['https://app.example.com'], ...options }).stack;
}

describe('delivery props are validated at construction', () => {
  const refusals: Array<[string, unknown, RegExp]> = [
    ['a string', 'yes', /delivery must be true .* or \{ maxLinkLifetime\?/],
    ['false-like object', null, /delivery must be true/],
    ['a number for maxLinkLifetime', { maxLinkLifetime: 3600 }, /delivery\.maxLinkLifetime must be a Duration/],
    ['a lifetime over 7 days', { maxLinkLifetime: Duration.days(8) }, /from 1 to 604800 \(7 days\) \(got 691200 seconds\)/],
    ['a lifetime under a second', { maxLinkLifetime: Duration.millis(500) }, /from 1 to 604800 .*got 0\.5 seconds/],
    ['a cookie domain with a scheme', { cookieDomain: 'https://example.com' }, /delivery\.cookieDomain must be a lower-case host name/],
    ['a cookie domain with a leading dot', { cookieDomain: '.example.com' }, /cookieDomain/],
    ['a single-label cookie domain', { cookieDomain: 'localhost' }, /at least two labels/],
    ['a cookie domain with a port', { cookieDomain: 'example.com:443' }, /cookieDomain/],
    ['an unknown key slot', { keySlots: ['c'] }, /delivery\.keySlots must list one or both of 'a', 'b'/],
    ['a repeated key slot', { keySlots: ['a', 'a'] }, /each once/],
    ['no key slot', { keySlots: [] }, /keySlots/],
    ['an active slot outside the slots', { keySlots: ['a'], activeKeySlot: 'b' }, /activeKeySlot 'b' is not one of delivery\.keySlots \["a"\]/],
    ['an unknown price class', { priceClass: 'PriceClass_Cheap' }, /delivery\.priceClass must be a cloudfront\.PriceClass/],
  ];
  for (const [what, delivery, message] of refusals) {
    it(`refuses ${what}`, () => {
      expect(() => construct({ delivery: delivery as ScopedStorageProps['delivery'] })).toThrow(ScopedStoragePropsError);
      expect(() => construct({ delivery: delivery as ScopedStorageProps['delivery'] })).toThrow(message);
    });
  }

  it('accepts the bounds: 1 second, 7 days, a sub-domain cookie domain', () => {
    expect(() => construct({ delivery: { maxLinkLifetime: Duration.seconds(1) } })).not.toThrow();
    expect(() => construct({ delivery: { maxLinkLifetime: Duration.days(7), cookieDomain: 'files.example.co.uk' } })).not.toThrow();
  });

  it('refuses requireEncryptionHeader that is not a boolean', () => {
    expect(() => construct({ requireEncryptionHeader: 'true' as unknown as boolean })).toThrow(/requireEncryptionHeader must be true or false/);
  });
});

describe('public locations and the unsigned CDN paths', () => {
  it('refuses a public location whose unsigned path would also serve a location guests may not read (prefix confusion)', () => {
    const accessRules: AccessRule[] = [
      { name: 'pub', prefix: 'media/', grants: { guests: ['read'], authenticated: ['read', 'write'] } },
      { name: 'secret', prefix: 'media/private/{identityId}/', grants: { owner: ['read', 'write'] } },
    ];
    expect(() => construct({ allowGuests: true, accessRules, delivery: true })).toThrow(/unsigned CDN path "media\/\*" of the public location "pub" would also serve the location "secret"/);
    // media/ vs media-private/: the pattern keeps the slash, so a neighbour that merely starts with the same letters is not caught.
    const neighbours: AccessRule[] = [
      { name: 'pub', prefix: 'media/', grants: { guests: ['read'] } },
      { name: 'secret', prefix: 'media-private/{identityId}/', grants: { owner: ['read', 'write'] } },
    ];
    expect(() => construct({ allowGuests: true, accessRules: neighbours, delivery: true })).not.toThrow();
  });

  it('refuses a public location nested in a private one\'s literal prefix, and the other way round', () => {
    const nested: AccessRule[] = [
      { name: 'pub', prefix: 'files/', grants: { guests: ['read'] } },
      { name: 'mine', prefix: 'files/{identityId}/', grants: { owner: ['read', 'write'] } },
    ];
    expect(() => construct({ allowGuests: true, accessRules: nested, delivery: true })).toThrow(/would also serve the location "mine"/);
  });

  it('refuses a public location that starts with a placeholder (its path would be *, the whole bucket)', () => {
    const accessRules: AccessRule[] = [{ name: 'everyone', prefix: '{identityId}/', grants: { owner: ['read', 'write'], guests: ['read'] } }];
    expect(() => construct({ allowGuests: true, accessRules, delivery: true })).toThrow(/starts with a placeholder, so its unsigned CDN path would be "\*"/);
  });

  it('does not treat guests who may only list as public', () => {
    const accessRules: AccessRule[] = [{ name: 'listing', prefix: 'catalogue/', grants: { guests: ['list'], authenticated: ['read'] } }];
    const template = construct({ allowGuests: true, accessRules, delivery: true });
    const [distribution] = Object.values(template.findResources('AWS::CloudFront::Distribution')) as Array<{ Properties: { DistributionConfig: { CacheBehaviors?: unknown[] } } }>;
    expect(distribution!.Properties.DistributionConfig.CacheBehaviors).toBeUndefined();
  });
});

describe('requireEncryptionHeader', () => {
  type Statement = { Sid?: string; Effect: string; Action: string; Condition?: unknown };
  const statements = (template: Template): Statement[] =>
    (Object.values(template.findResources('AWS::S3::BucketPolicy'))[0] as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement;

  it('is off by default: no deny for a missing header, output "false"', () => {
    expect(statements(construct({})).some((statement) => statement.Sid === 'DenyUploadsWithoutEncryptionHeader')).toBe(false);
    expect(Template.fromStack(stackWithContext({})).findOutputs('encryptionHeaderRequired').encryptionHeaderRequired!.Value).toBe('false');
  });

  it('denies s3:PutObject without x-amz-server-side-encryption, for everyone, beside the deny of other algorithms', () => {
    const all = statements(construct({ requireEncryptionHeader: true }));
    expect(all.find((statement) => statement.Sid === 'DenyUploadsWithoutEncryptionHeader')).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 's3:PutObject',
      Condition: { Null: { 's3:x-amz-server-side-encryption': 'true' } },
    });
    expect(all.some((statement) => statement.Sid === 'DenyOtherEncryption')).toBe(true);
  });

  it('is set by -c requireEncryptionHeader=true and published as "true"', () => {
    const template = Template.fromStack(stackWithContext({ requireEncryptionHeader: 'true' }));
    expect(template.findOutputs('encryptionHeaderRequired').encryptionHeaderRequired!.Value).toBe('true');
    expect(statements(template).some((statement) => statement.Sid === 'DenyUploadsWithoutEncryptionHeader')).toBe(true);
  });

  it('refuses a misspelt -c value', () => {
    expect(() => stackWithContext({ requireEncryptionHeader: 'yes' })).toThrow(/requireEncryptionHeader must be true or false \(got "yes"\)/);
  });

  it('lets browsers send the header and the upload links\' If-None-Match, and POST', () => {
    expect(BROWSER_REQUEST_HEADERS).toEqual(expect.arrayContaining(['x-amz-server-side-encryption', 'if-none-match', 'content-type']));
    const [bucket] = Object.values(construct({ requireEncryptionHeader: true }).findResources('AWS::S3::Bucket')) as Array<{ Properties: { CorsConfiguration: { CorsRules: Array<{ AllowedMethods: string[] }> } } }>;
    expect(bucket!.Properties.CorsConfiguration.CorsRules[0]!.AllowedMethods).toContain('POST');
  });
});

describe('-c delivery switches', () => {
  const distributions = (stack: Stack) => Template.fromStack(stack).findResources('AWS::CloudFront::Distribution');
  const keyPairs = (stack: Stack) => Object.keys(Template.fromStack(stack).findResources('Custom::CloudFrontKeyPair')).map((id) => id.replace(/[0-9A-F]{8}$/, ''));

  it('-c delivery=true turns the distribution on; no switch leaves it off', () => {
    expect(Object.keys(distributions(stackWithContext({ delivery: 'true' })))).toHaveLength(1);
    expect(Object.keys(distributions(stackWithContext({})))).toHaveLength(0);
    expect(Object.keys(distributions(stackWithContext({ delivery: false })))).toHaveLength(0);
  });

  it('-c deliveryKeySlots=a,b -c deliveryActiveKey=b imply delivery and configure the slots', () => {
    expect(keyPairs(stackWithContext({ deliveryKeySlots: 'a,b', deliveryActiveKey: 'b' }))).toEqual(['StorageDeliveryKeyPairA', 'StorageDeliveryKeyPairB']);
  });

  it('refuses delivery=false beside a key switch, and a misspelt value', () => {
    expect(() => stackWithContext({ delivery: 'false', deliveryKeySlots: 'a' })).toThrow(/delivery is false, but deliveryKeySlots or deliveryActiveKey is set/);
    expect(() => stackWithContext({ delivery: 'on' })).toThrow(/delivery must be true or false \(got "on"\)/);
    expect(() => stackWithContext({ deliveryKeySlots: 'a', deliveryActiveKey: 'b' })).toThrow(/activeKeySlot 'b' is not one of delivery\.keySlots/);
  });

  it('the BuildStackOptions prop wins over the context', () => {
    expect(Object.keys(distributions(stackWithContext({ delivery: 'false' }, { delivery: true })))).toHaveLength(1);
  });

  it('does not warn of the delivery switches as unknown context', () => {
    const stack = stackWithContext({ delivery: 'true', deliveryKeySlots: 'a', requireEncryptionHeader: 'false' });
    const warnings = stack.node.metadata.filter((entry) => String(entry.data).includes('Unknown context'));
    expect(warnings).toEqual([]);
  });
});

describe("the token service's environment and Lambda's 4 KB", () => {
  it('counts keys and values, and an unresolved value as the stand-in size', () => {
    expect(environmentBytes({ AB: 'cdé' })).toBe(2 + 4);
    const stack = new Stack(new App(), 'Sizes');
    expect(environmentBytes({ A: `https://${stack.region}` })).toBe(1 + 'https://'.length + UNRESOLVED_VALUE_BYTES);
  });

  it('fails synthesis naming TOKEN_SERVICE_LOCATIONS when the access rules make the environment too big', () => {
    const accessRules: AccessRule[] = Array.from({ length: 16 }, (_, index) => ({ name: `location-number-${index}`, prefix: `a-fairly-long-location-prefix-${index}/{identityId}/`, grants: { owner: ['read', 'write', 'delete', 'list'] } }));
    // Within CloudFormation's limit for the locations output, so only the environment check can refuse it.
    const locationsJson = JSON.stringify(publishedLocations(accessRules));
    expect(locationsJson.length).toBeLessThan(4096);
    expect(locationsJson.length).toBeGreaterThan(MAX_LAMBDA_ENVIRONMENT_BYTES / 2);
    expect(() => buildStack({ app: new App(), nagChecks: false, allowedOrigins: ['https://app.example.com'], accessRules, delivery: true })).toThrow(
      /The token service's environment would be about \d+ bytes, over Lambda's limit of 4096 bytes .*biggest: TOKEN_SERVICE_LOCATIONS \d+.*use fewer rules/,
    );
    expect(() => buildStack({ app: new App(), nagChecks: false, allowedOrigins: ['https://app.example.com'], accessRules })).not.toThrow();
  });
});

describe('the encryptionKeyArn output', () => {
  it('names the bucket\'s KMS key when it has one (clients then send aws:kms with it), and is absent with SSE-S3', () => {
    const app = new App();
    const keys = new Stack(app, 'Keys', { env: { account: '111122223333', region: 'eu-west-1' } });
    const encryptionKey = new Key(keys, 'BucketKey');
    const withKey = buildStack({ app, nagChecks: false, allowedOrigins: ['https://app.example.com'], encryptionKey, env: { account: '111122223333', region: 'eu-west-1' } }).stack;
    const output = Template.fromStack(withKey).findOutputs('encryptionKeyArn').encryptionKeyArn;
    expect(JSON.stringify(output?.Value)).toContain('BucketKey');
    expect(Template.fromStack(stackWithContext({})).findOutputs('encryptionKeyArn')).toEqual({});
  });
});

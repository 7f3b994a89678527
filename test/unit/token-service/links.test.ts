import { createVerify, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { defaultAccessRules } from '../../../infra/access-rules/default-access-rules.ts';
import { appOptionsFromConfig, ConfigurationError, readTokenServiceConfig } from '../../../token-service/config.ts';
import { CdnSigner, privateKeyProblem } from '../../../token-service/delivery/cdn-signer.ts';
import { configureDelivery } from '../../../token-service/delivery/configure-delivery.ts';
import { DeliveryLocations } from '../../../token-service/delivery/delivery-locations.ts';
import { ReadAccessPolicy, type LinkCaller } from '../../../token-service/delivery/read-access-policy.ts';
import { InvalidRequestError, LinkDeniedError } from '../../../token-service/http/token-service-errors.ts';

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const OTHER_PUBLIC = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey;
const CDN = 'https://d111111abcdef8.cloudfront.net';
const KEY_PAIR_ID = 'K2JCJMDEHXQW5F';
const POOL = 'us-east-1:33333333-3333-4333-8333-333333333333';
const RULES = defaultAccessRules({ allowGuests: true });
const ALICE: LinkCaller = { userId: 'alice', identityId: 'us-east-1:aaaaaaaa-0000-4000-8000-000000000001', principalTags: { tenant: 'acme' } };
const BOB: LinkCaller = { userId: 'bob', identityId: 'us-east-1:aaaaaaaa-0000-4000-8000-000000000002', principalTags: {} };

/** CloudFront's URL-safe base64 back to standard base64. */
function fromCloudFrontBase64(text: string): Buffer {
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '=').replace(/~/g, '/'), 'base64');
}

function verifies(policy: string, signature: string, key = publicKey): boolean {
  return createVerify('RSA-SHA256').update(policy).verify(key, fromCloudFrontBase64(signature));
}

describe('CdnSigner', () => {
  const signer = new CdnSigner(KEY_PAIR_ID, { pem: PRIVATE_PEM });
  const expires = 1_900_000_000;

  it('signs a canned-policy URL with SHA256 that verifies against the public key and nothing else', async () => {
    const url = new URL(await signer.signUrl(`${CDN}/users/a%20b/photo.jpg`, expires));
    expect(url.searchParams.get('Expires')).toBe(String(expires));
    expect(url.searchParams.get('Key-Pair-Id')).toBe(KEY_PAIR_ID);
    expect(url.searchParams.get('Hash-Algorithm')).toBe('SHA256');
    const signature = url.searchParams.get('Signature')!;
    expect(signature).toMatch(/^[A-Za-z0-9~_-]+$/);
    const canned = (resource: string, until = expires) => JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': until } } }] });
    expect(verifies(canned(`${CDN}/users/a%20b/photo.jpg`), signature)).toBe(true);
    expect(verifies(canned(`${CDN}/users/a%20b/photo.jpg`), signature, OTHER_PUBLIC)).toBe(false);
    expect(verifies(canned(`${CDN}/users/a%20b/photo.jpgx`), signature)).toBe(false);
    expect(verifies(canned(`${CDN}/users/a%20b/photo.jpg`, expires + 1), signature)).toBe(false);
  });

  it('signs the query string a disposition adds along with the path', async () => {
    const resource = `${CDN}/shared/r.pdf?response-content-disposition=attachment%3B%20filename%3D%22r.pdf%22`;
    const url = new URL(await signer.signUrl(resource, expires));
    const policy = JSON.stringify({ Statement: [{ Resource: resource, Condition: { DateLessThan: { 'AWS:EpochTime': expires } } }] });
    expect(verifies(policy, url.searchParams.get('Signature')!)).toBe(true);
    expect(url.searchParams.get('response-content-disposition')).toBe('attachment; filename="r.pdf"');
  });

  it('signs cookies with a custom policy over a wildcard resource', async () => {
    const cookies = await signer.signCookies(`${CDN}/protected/*/*`, expires);
    expect(cookies['CloudFront-Key-Pair-Id']).toBe(KEY_PAIR_ID);
    expect(cookies['CloudFront-Hash-Algorithm']).toBe('SHA256');
    const policy = fromCloudFrontBase64(cookies['CloudFront-Policy']).toString('utf8');
    expect(JSON.parse(policy)).toEqual({ Statement: [{ Resource: `${CDN}/protected/*/*`, Condition: { DateLessThan: { 'AWS:EpochTime': expires } } }] });
    expect(verifies(policy, cookies['CloudFront-Signature'])).toBe(true);
    expect(verifies(policy.replace('protected', 'protectee'), cookies['CloudFront-Signature'])).toBe(false);
  });

  it('reads a key from its source once, and again only after a failure', async () => {
    let reads = 0;
    let fail = true;
    const loading = new CdnSigner(KEY_PAIR_ID, {
      load: async () => {
        reads++;
        if (fail) throw new Error('Secrets Manager is down');
        return PRIVATE_PEM;
      },
    });
    await expect(loading.signUrl(`${CDN}/shared/a`, expires)).rejects.toThrow('The CDN private key could not be read.');
    fail = false;
    await loading.signUrl(`${CDN}/shared/a`, expires);
    await loading.signUrl(`${CDN}/shared/b`, expires);
    expect(reads).toBe(2);
  });

  it('refuses keys CloudFront would not take', async () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(privateKeyProblem(PRIVATE_PEM)).toBeUndefined();
    expect(privateKeyProblem(ec)).toBe('is a ec key; CloudFront key groups take RSA keys');
    expect(privateKeyProblem(small)).toBe('is an RSA 1024-bit key; CloudFront key groups take RSA 2048-bit keys');
    expect(privateKeyProblem('-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----')).toBe('is not a PEM private key');
    expect(() => new CdnSigner(KEY_PAIR_ID, { pem: ec })).toThrow('The CDN private key is a ec key');
    const wrongSecret = new CdnSigner(KEY_PAIR_ID, { load: async () => 'not a key' });
    await expect(wrongSecret.signUrl(`${CDN}/a`, expires)).rejects.toThrow('The CDN private key read from its secret is not a PEM private key.');
  });
});

describe('delivery configuration (TOKEN_SERVICE_CDN_*)', () => {
  const BASE = {
    TOKEN_SERVICE_IDENTITY_POOL_ID: POOL,
    TOKEN_SERVICE_DEVELOPER_PROVIDER_NAME: 'login.example.app',
    TOKEN_SERVICE_HMAC_SECRET: 'x'.repeat(40),
  };
  const DELIVERY = {
    TOKEN_SERVICE_CDN_URL: CDN,
    TOKEN_SERVICE_CDN_KEY_PAIR_ID: KEY_PAIR_ID,
    TOKEN_SERVICE_CDN_PRIVATE_KEY: PRIVATE_PEM.replaceAll('\n', '\\n'),
    TOKEN_SERVICE_BUCKET: 'storage-bucket-1',
    TOKEN_SERVICE_LOCATIONS: JSON.stringify(RULES),
  };

  it('leaves delivery off without any of the variables', () => {
    expect(readTokenServiceConfig(BASE).delivery).toBeUndefined();
    expect(appOptionsFromConfig(readTokenServiceConfig(BASE)).delivery).toBeUndefined();
  });

  it('reads all of them, with the defaults, and a PEM given with \\n escapes', () => {
    const config = readTokenServiceConfig({ ...BASE, ...DELIVERY });
    expect(config.delivery).toEqual({ cdnUrl: CDN, keyPairId: KEY_PAIR_ID, privateKey: PRIVATE_PEM, bucket: 'storage-bucket-1', accessRules: RULES, maxLinkSeconds: 604_800 });
    const options = appOptionsFromConfig(config).delivery!;
    expect(options).toMatchObject({ cdnUrl: CDN, keyPairId: KEY_PAIR_ID, privateKeyPem: PRIVATE_PEM, maxLinkSeconds: 604_800 });
    const withCookies = readTokenServiceConfig({ ...BASE, ...DELIVERY, TOKEN_SERVICE_LINK_MAX_SECONDS: '86400', TOKEN_SERVICE_CDN_COOKIE_DOMAIN: 'example.com' });
    expect(withCookies.delivery).toMatchObject({ maxLinkSeconds: 86_400, cookieDomain: 'example.com' });
  });

  it('reports a partial configuration with everything that is missing', () => {
    expect(() => readTokenServiceConfig({ ...BASE, TOKEN_SERVICE_CDN_URL: CDN })).toThrow(
      'Delivery is partly configured (TOKEN_SERVICE_CDN_URL set); also set TOKEN_SERVICE_CDN_KEY_PAIR_ID, TOKEN_SERVICE_BUCKET, TOKEN_SERVICE_LOCATIONS, TOKEN_SERVICE_CDN_PRIVATE_KEY or TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN, or none of them to turn delivery off.',
    );
    const { TOKEN_SERVICE_CDN_PRIVATE_KEY: _key, ...withoutKey } = DELIVERY;
    expect(() => readTokenServiceConfig({ ...BASE, ...withoutKey })).toThrow('also set TOKEN_SERVICE_CDN_PRIVATE_KEY or TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN, or none');
    expect(() => readTokenServiceConfig({ ...BASE, TOKEN_SERVICE_LINK_MAX_SECONDS: '60' })).toThrow('Delivery is partly configured (TOKEN_SERVICE_LINK_MAX_SECONDS set)');
  });

  it('reports each value that is wrong, all at once', () => {
    let error: unknown;
    try {
      readTokenServiceConfig({
        ...BASE,
        ...DELIVERY,
        TOKEN_SERVICE_CDN_URL: 'ftp://cdn',
        TOKEN_SERVICE_CDN_KEY_PAIR_ID: 'k-lower',
        TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cdn-key',
        TOKEN_SERVICE_LINK_MAX_SECONDS: '604801',
        TOKEN_SERVICE_LOCATIONS: '[{"prefix":"users/"}]',
        TOKEN_SERVICE_CDN_COOKIE_DOMAIN: 'example.com; Path=/',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toContain('TOKEN_SERVICE_CDN_URL must be the distribution\'s https:// address (got "ftp://cdn").');
    expect(message).toContain('TOKEN_SERVICE_CDN_KEY_PAIR_ID must be a CloudFront public key id');
    expect(message).toContain('Set TOKEN_SERVICE_CDN_PRIVATE_KEY or TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN, not both.');
    expect(message).toContain('TOKEN_SERVICE_LINK_MAX_SECONDS must be a whole number from 1 to 604800 (got "604801").');
    expect(message).toContain('TOKEN_SERVICE_LOCATIONS holds access rules that are not valid');
    expect(message).toContain('TOKEN_SERVICE_CDN_COOKIE_DOMAIN must be a domain name');
    expect(() => readTokenServiceConfig({ ...BASE, ...DELIVERY, TOKEN_SERVICE_LOCATIONS: '{not json' })).toThrow('TOKEN_SERVICE_LOCATIONS must be the access rules as JSON');
    expect(() => readTokenServiceConfig({ ...BASE, ...DELIVERY, TOKEN_SERVICE_CDN_PRIVATE_KEY: 'not a key' })).toThrow('TOKEN_SERVICE_CDN_PRIVATE_KEY is not a PEM private key.');
  });

  it('reads the key from its secret through the runtime\'s secret source, and needs one', async () => {
    const { TOKEN_SERVICE_CDN_PRIVATE_KEY: _key, ...withoutKey } = DELIVERY;
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cdn-key-AbCdEf';
    const config = readTokenServiceConfig({ ...BASE, ...withoutKey, TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN: arn });
    expect(() => appOptionsFromConfig(config)).toThrow('TOKEN_SERVICE_CDN_PRIVATE_KEY_SECRET_ARN needs a way to read secrets here');
    const asked: string[] = [];
    const options = appOptionsFromConfig(config, (secretArn) => {
      asked.push(secretArn);
      return async () => PRIVATE_PEM;
    }).delivery!;
    expect(asked).toEqual([arn]);
    expect(await options.loadPrivateKey!()).toBe(PRIVATE_PEM);
  });

  it('checks the in-process option as the variables are checked', () => {
    const good = { cdnUrl: CDN, keyPairId: KEY_PAIR_ID, privateKeyPem: PRIVATE_PEM, bucket: 'storage-bucket-1', accessRules: RULES };
    const deployment = { identityPoolId: POOL, developerProviderName: 'login.example.app' };
    expect(configureDelivery({ ...good, cdnUrl: `${CDN}/` }, deployment).cdnUrl).toBe(CDN);
    expect(() => configureDelivery({ ...good, loadPrivateKey: async () => PRIVATE_PEM }, deployment)).toThrow('give exactly one of privateKeyPem and loadPrivateKey');
    expect(() => configureDelivery({ ...good, maxLinkSeconds: 0 }, deployment)).toThrow('maxLinkSeconds must be a whole number from 1 to 604800 (got 0)');
    expect(() => configureDelivery({ ...good, cdnUrl: `${CDN}/?x=1` }, deployment)).toThrow('cdnUrl must not have a query or fragment');
    expect(() => configureDelivery({ ...good, accessRules: [{ prefix: 'a', grants: { owner: ['read'] } }] }, deployment)).toThrow('prefix must end with "/"');
  });
});

describe('link authorization (the access rules compiled and evaluated for the caller)', () => {
  const locations = new DeliveryLocations(RULES);
  const access = new ReadAccessPolicy({ bucket: 'storage-bucket-1', accessRules: RULES, identityPoolId: POOL, developerProviderName: 'login.example.app' });
  const decide = (caller: LinkCaller, location: string, key: string) => access.decide(caller, locations.fullKey(location, key, caller)).allowed;

  it("resolves keys in the caller's own folder, another identity's protected folder, shared and the tenant", () => {
    expect(locations.fullKey('private', 'photos/a.jpg', ALICE)).toBe(`users/${ALICE.identityId}/photos/a.jpg`);
    expect(locations.fullKey('protected', `${BOB.identityId}/a.jpg`, ALICE)).toBe(`protected/${BOB.identityId}/a.jpg`);
    expect(locations.fullKey('public', `${BOB.identityId}/a.jpg`, ALICE)).toBe(`public/${BOB.identityId}/a.jpg`);
    expect(locations.fullKey('shared', 'handbook.pdf', ALICE)).toBe('shared/handbook.pdf');
    expect(locations.fullKey('team', 'plan.txt', ALICE)).toBe('tenants/acme/plan.txt');
  });

  it('allows what the caller may read and nothing else', () => {
    expect(decide(ALICE, 'private', 'a.jpg')).toBe(true);
    expect(decide(ALICE, 'protected', `${BOB.identityId}/a.jpg`)).toBe(true);
    expect(decide(ALICE, 'shared', 'a.jpg')).toBe(true);
    expect(decide(ALICE, 'team', 'a.jpg')).toBe(true);
    // Another identity's private folder, named directly as a full key.
    expect(access.decide(ALICE, `users/${BOB.identityId}/a.jpg`).allowed).toBe(false);
    // Prefix confusion: an identity id that only starts with the caller's.
    expect(access.decide(ALICE, `users/${ALICE.identityId}0/a.jpg`).allowed).toBe(false);
    expect(access.decide(ALICE, `users/${ALICE.identityId}`).allowed).toBe(false);
    expect(access.decide(ALICE, 'tenants/acmex/a.jpg').allowed).toBe(false);
    expect(access.decide(ALICE, 'tenants/other/a.jpg').allowed).toBe(false);
    expect(access.decide(ALICE, 'sharedx/a.jpg').allowed).toBe(false);
    expect(access.decide(ALICE, 'protected/a.jpg').allowed).toBe(false);
    const denied = access.decide(BOB, 'tenants/acme/a.jpg');
    expect(denied).toEqual({ allowed: false, explanation: 'ImplicitDeny: s3:GetObject on arn:aws:s3:::storage-bucket-1/tenants/acme/a.jpg; why: no identity or resource policy allows it (implicit deny)' });
  });

  it('refuses keys the library refuses, and a tenant location without the tag', () => {
    const refused = (location: string, key: string, caller = ALICE) => {
      try {
        locations.fullKey(location, key, caller);
      } catch (error) {
        return `${(error as Error).constructor.name}: ${(error as Error).message}`;
      }
      return 'accepted';
    };
    expect(refused('private', '')).toBe('InvalidRequestError: "key" must not be empty.');
    expect(refused('private', '/a')).toContain('must not start with "/"');
    expect(refused('private', 'a/../../x')).toContain('must not contain "." or ".." segments');
    expect(refused('private', 'a/./x')).toContain('must not contain "." or ".." segments');
    expect(refused('private', 'a\u0000b')).toContain('control characters');
    expect(refused('private', 'x'.repeat(1000))).toContain('too long');
    expect(refused('nowhere', 'a')).toContain('There is no location "nowhere"; the locations are "private", "protected", "shared", "team", "public".');
    expect(refused('protected', 'a.jpg')).toContain('must begin with an identity id and "/"');
    expect(refused('protected', 'us-east-1:not-a-uuid/a.jpg')).toContain('must begin with an identity id');
    expect(refused('protected', `${BOB.identityId}/`)).toContain('names an identity folder, not a file');
    expect(refused('team', 'a', BOB)).toBe('LinkDeniedError: The location "team" is reached through the session\'s "tenant" tag, which this session does not have.');
    expect(new InvalidRequestError('x').status).toBe(400);
    expect(new LinkDeniedError('x').status).toBe(403);
  });

  it('gives cookies for each location the caller may read, protected ones for every identity folder', () => {
    const readable = (caller: LinkCaller) =>
      locations
        .cookieScopes(caller)
        .filter((scope) => access.decide(caller, scope.probeKey).allowed)
        .map((scope) => `${scope.location} ${scope.keyPatternPieces.join('*')}* ${scope.pathPrefix}`);
    expect(readable(ALICE)).toEqual([
      `private users/${ALICE.identityId}/* users/${ALICE.identityId}/`,
      'protected protected/*/* protected/',
      `protected protected/${ALICE.identityId}/* protected/${ALICE.identityId}/`,
      'shared shared/* shared/',
      'team tenants/acme/* tenants/acme/',
      'public public/*/* public/',
      `public public/${ALICE.identityId}/* public/${ALICE.identityId}/`,
    ]);
    expect(readable(BOB).map((line) => line.split(' ')[0])).toEqual(['private', 'protected', 'protected', 'shared', 'public', 'public']);
  });

  it('falls back to the own folder of a protected location whose other folders the caller may not read', () => {
    const rules = [{ name: 'drop', prefix: 'drop/{identityId}/', grants: { owner: ['read' as const, 'write' as const], authenticated: ['list' as const] } }];
    const dropLocations = new DeliveryLocations(rules);
    const dropAccess = new ReadAccessPolicy({ bucket: 'storage-bucket-1', accessRules: rules, identityPoolId: POOL, developerProviderName: 'login.example.app' });
    const first = dropLocations.cookieScopes(ALICE).find((scope) => dropAccess.decide(ALICE, scope.probeKey).allowed);
    expect(first?.keyPatternPieces).toEqual([`drop/${ALICE.identityId}/`]);
    expect(dropAccess.decide(ALICE, dropLocations.fullKey('drop', `${BOB.identityId}/a`, ALICE)).allowed).toBe(false);
  });
});

import { compilePolicy, evaluatePolicies, type EvaluationRequest, type PolicySet } from '../../infra/policy-engine/index.ts';
import { benchResult, measureRate, type BenchOptions, type BenchResult } from './bench-result.ts';

const BUCKET = 'arn:aws:s3:::app-storage-bucket';
const SUB = '${cognito-identity.amazonaws.com:sub}';
const TENANT = '${aws:PrincipalTag/tenant}';

/** The authenticated role's policy as the access rules emit it: own prefix, tenant prefix, shared read-only prefix. */
const ROLE_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'OwnObjects', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'], Resource: `${BUCKET}/users/${SUB}/*` },
    { Sid: 'ListOwnPrefix', Effect: 'Allow', Action: 's3:ListBucket', Resource: BUCKET, Condition: { StringLike: { 's3:prefix': [`users/${SUB}/`, `users/${SUB}/*`] } } },
    { Sid: 'TenantObjects', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: `${BUCKET}/tenants/${TENANT}/*` },
    { Sid: 'ListTenantPrefix', Effect: 'Allow', Action: 's3:ListBucket', Resource: BUCKET, Condition: { StringLike: { 's3:prefix': [`tenants/${TENANT}/`, `tenants/${TENANT}/*`] } } },
    { Sid: 'SharedRead', Effect: 'Allow', Action: 's3:GetObject', Resource: `${BUCKET}/shared/*` },
    { Sid: 'ListShared', Effect: 'Allow', Action: 's3:ListBucket', Resource: BUCKET, Condition: { StringLike: { 's3:prefix': ['shared/', 'shared/*'] } } },
  ],
};

/** The bucket policy the construct emits: TLS only, and encryption headers limited to what the bucket accepts. */
const BUCKET_POLICY = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: { AWS: '*' }, Action: 's3:*', Resource: [BUCKET, `${BUCKET}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
    { Sid: 'DenyWrongEncryption', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `${BUCKET}/*`, Condition: { StringNotEqualsIfExists: { 's3:x-amz-server-side-encryption': ['AES256', 'aws:kms'] } } },
  ],
};

const PRINCIPAL = { arn: 'arn:aws:sts::123456789012:assumed-role/AuthenticatedRole/CognitoIdentityCredentials', accountId: '123456789012' };

function identityContext(sub: string, extra: Record<string, string> = {}): EvaluationRequest['context'] {
  return {
    'cognito-identity.amazonaws.com:sub': sub,
    'cognito-identity.amazonaws.com:aud': 'eu-west-1:0c9e8a34-1d6d-4f4f-9c1a-1234567890ab',
    'aws:PrincipalTag/tenant': 'acme',
    'aws:SecureTransport': 'true',
    'aws:SourceIp': '203.0.113.10',
    'aws:userid': `AROAEXAMPLE:CognitoIdentityCredentials`,
    ...extra,
  };
}

const SUBJECT = 'eu-west-1:6a1b2c3d-0000-4000-8000-00000000abcd';

/** A mix of allowed and denied requests an app's clients make. */
export const REQUESTS: EvaluationRequest[] = [
  { action: 's3:GetObject', resource: `${BUCKET}/users/${SUBJECT}/photos/cat.jpg`, principal: PRINCIPAL, context: identityContext(SUBJECT) },
  { action: 's3:PutObject', resource: `${BUCKET}/users/${SUBJECT}/photos/dog.jpg`, principal: PRINCIPAL, context: identityContext(SUBJECT, { 's3:x-amz-server-side-encryption': 'AES256' }) },
  { action: 's3:PutObject', resource: `${BUCKET}/users/${SUBJECT}/photos/dog.jpg`, principal: PRINCIPAL, context: identityContext(SUBJECT, { 's3:x-amz-server-side-encryption': 'none' }) },
  { action: 's3:GetObject', resource: `${BUCKET}/users/${SUBJECT}x/photos/cat.jpg`, principal: PRINCIPAL, context: identityContext(SUBJECT) },
  { action: 's3:ListBucket', resource: BUCKET, principal: PRINCIPAL, context: identityContext(SUBJECT, { 's3:prefix': `users/${SUBJECT}/photos/` }) },
  { action: 's3:ListBucket', resource: BUCKET, principal: PRINCIPAL, context: identityContext(SUBJECT, { 's3:prefix': 'users/' }) },
  { action: 's3:GetObject', resource: `${BUCKET}/tenants/acme/report.pdf`, principal: PRINCIPAL, context: identityContext(SUBJECT) },
  { action: 's3:GetObject', resource: `${BUCKET}/tenants/other/report.pdf`, principal: PRINCIPAL, context: identityContext(SUBJECT) },
  { action: 's3:GetObject', resource: `${BUCKET}/shared/terms.txt`, principal: PRINCIPAL, context: identityContext(SUBJECT) },
  { action: 's3:PutObject', resource: `${BUCKET}/shared/terms.txt`, principal: PRINCIPAL, context: identityContext(SUBJECT) },
  { action: 's3:GetObject', resource: `${BUCKET}/users/${SUBJECT}/photos/cat.jpg`, principal: PRINCIPAL, context: identityContext(SUBJECT, { 'aws:SecureTransport': 'false' }) },
  { action: 's3:DeleteBucket', resource: BUCKET, principal: PRINCIPAL, context: identityContext(SUBJECT) },
];

export function benchmarkPolicySet(): PolicySet {
  return {
    identityPolicies: [compilePolicy(ROLE_POLICY, { name: 'AuthenticatedRolePolicy', kind: 'identity' })],
    resourcePolicies: [compilePolicy(BUCKET_POLICY, { name: 'BucketPolicy', kind: 'resource' })],
  };
}

/**
 * The same requests decided by hand-written string checks (the per-identity and shared
 * prefixes, the TLS flag): the least work any evaluator has to do, for the ratio.
 */
function startsWithBaseline(request: EvaluationRequest): boolean {
  const context = request.context;
  if (context['aws:SecureTransport'] === 'false') return false;
  const ownPrefix = `${BUCKET}/users/${context['cognito-identity.amazonaws.com:sub'] as string}/`;
  const tenantPrefix = `${BUCKET}/tenants/${context['aws:PrincipalTag/tenant'] as string}/`;
  if (request.action === 's3:ListBucket') {
    const prefix = `${BUCKET}/${(context['s3:prefix'] as string | undefined) ?? ''}`;
    return request.resource === BUCKET && (prefix.startsWith(ownPrefix) || prefix.startsWith(tenantPrefix) || prefix.startsWith(`${BUCKET}/shared/`));
  }
  return request.resource.startsWith(ownPrefix) || request.resource.startsWith(tenantPrefix) || (request.action === 's3:GetObject' && request.resource.startsWith(`${BUCKET}/shared/`));
}

export async function runPolicyEvaluationBenchmark(options: BenchOptions): Promise<BenchResult[]> {
  const durationMs = options.quick ? 200 : 3000;
  const set = benchmarkPolicySet();
  let next = 0;
  let allowed = 0;
  const evaluateNext = () => {
    const request = REQUESTS[next]!;
    next = next === REQUESTS.length - 1 ? 0 : next + 1;
    if (evaluatePolicies(set, request).decision === 'Allow') allowed++;
  };
  const baselineNext = () => {
    const request = REQUESTS[next]!;
    next = next === REQUESTS.length - 1 ? 0 : next + 1;
    if (startsWithBaseline(request)) allowed++;
  };
  // Warm both paths so neither pays for JIT compilation inside its measurement.
  measureRate(evaluateNext, durationMs / 4);
  measureRate(baselineNext, durationMs / 4);
  const baseline = measureRate(baselineNext, durationMs);
  const evaluations = measureRate(evaluateNext, durationMs);
  if (allowed === 0) throw new Error('the benchmark requests were all denied: the policies or requests are wrong');
  return [benchResult('IAM policy evaluation: role + bucket policy', evaluations, 'evaluations/s', 'startsWith checks of the same requests', baseline)];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const result of await runPolicyEvaluationBenchmark({ quick: process.argv.includes('--quick') })) {
    process.stdout.write(`${result.name}: ${Math.round(result.value).toLocaleString('en-US')} ${result.unit}; ${result.baseline}: ${Math.round(result.baselineValue).toLocaleString('en-US')} ${result.unit}; ratio ${result.ratio.toFixed(3)}\n`);
  }
}

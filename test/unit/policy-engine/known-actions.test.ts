import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalAction, checkedServices, findUnknownAction } from '../../../infra/policy-engine/known-actions.ts';

const DIRECTORY = 'infra/policy-engine/known-actions';
const files = readdirSync(DIRECTORY).map((file) => JSON.parse(readFileSync(`${DIRECTORY}/${file}`, 'utf8')) as { service: string; source: string; actions: string[] });

describe('the shipped action lists', () => {
  it('cover S3, Cognito Identity and STS, each naming its Service Authorization Reference page', () => {
    expect(files.map((file) => file.service).sort()).toEqual(['cognito-identity', 's3', 'sts']);
    expect(checkedServices().sort()).toEqual(['cognito-identity', 's3', 'sts']);
    for (const file of files) expect(file.source).toMatch(/^https:\/\/docs\.aws\.amazon\.com\/service-authorization\/latest\/reference\/list_\w+\.html$/);
  });

  it('hold every S3 action (about 170), spelled as AWS spells them, each once', () => {
    const s3 = files.find((file) => file.service === 's3')!.actions;
    expect(s3.length).toBeGreaterThan(150);
    expect(s3).toEqual(expect.arrayContaining(['GetObject', 'PutObject', 'DeleteObject', 'ListBucket', 'AbortMultipartUpload', 'ListMultipartUploadParts', 'GetBucketCORS', 'PutObjectRetention', 'BypassGovernanceRetention']));
    for (const file of files) {
      for (const action of file.actions) expect(action).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(new Set(file.actions.map((action) => action.toLowerCase())).size).toBe(file.actions.length);
    }
  });

  it('hold the Cognito Identity and STS actions the stack and the token service use', () => {
    const actions = files.flatMap((file) => file.actions.map((action) => `${file.service}:${action}`));
    expect(actions).toEqual(
      expect.arrayContaining([
        'cognito-identity:GetOpenIdTokenForDeveloperIdentity',
        'cognito-identity:LookupDeveloperIdentity',
        'cognito-identity:UnlinkDeveloperIdentity',
        'cognito-identity:MergeDeveloperIdentities',
        'sts:AssumeRoleWithWebIdentity',
        'sts:TagSession',
      ]),
    );
  });
});

describe('findUnknownAction', () => {
  it.each([
    ['s3:GetObjct', 's3:GetObject'],
    ['s3:PutObjet', 's3:PutObject'],
    ['s3:ListBuckets', 's3:ListBucket'],
    ['sts:AssumeRoleWithWebIdentty', 'sts:AssumeRoleWithWebIdentity'],
    ['cognito-identity:GetOpenIdTokenForDeveloperIdentiy', 'cognito-identity:GetOpenIdTokenForDeveloperIdentity'],
  ])('reports %s as unknown and suggests %s', (action, suggestion) => {
    expect(findUnknownAction(action)).toEqual({ action, service: action.split(':')[0], suggestion, pattern: false });
  });

  it('reports a name far from every action without a guess', () => {
    expect(findUnknownAction('s3:LaunchRocket')).toEqual({ action: 's3:LaunchRocket', service: 's3', suggestion: undefined, pattern: false });
  });

  it('accepts real actions in any case, and patterns that match at least one action', () => {
    for (const action of ['s3:GetObject', 'S3:getobject', 's3:Get*', 's3:*', 's3:Put?bject', 'sts:Assume*', 'cognito-identity:*DeveloperIdentit*']) expect(findUnknownAction(action)).toBeUndefined();
  });

  it('reports a pattern that matches no action of its service', () => {
    expect(findUnknownAction('s3:Gte*')).toEqual({ action: 's3:Gte*', service: 's3', suggestion: undefined, pattern: true });
  });

  it('leaves services outside the lists, "*" and malformed actions to other checks', () => {
    for (const action of ['ec2:DescribeInstances', 'kms:Decrypt', 'logs:Whatever', '*', 'GetObject']) expect(findUnknownAction(action)).toBeUndefined();
  });

  it('spells a known action as AWS does', () => {
    expect(canonicalAction('S3:getobject')).toBe('s3:GetObject');
    expect(canonicalAction('ec2:describeinstances')).toBe('ec2:describeinstances');
  });
});

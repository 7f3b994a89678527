import type { AccessRule } from '../../infra/access-rules/access-rule.ts';
import { compileAccessRules } from '../../infra/access-rules/compile-access-rules.ts';
import { compilePolicy, type CompiledPolicy } from '../../infra/policy-engine/compile-policy.ts';
import { evaluatePolicies } from '../../infra/policy-engine/evaluate-policy.ts';
import { explainDecision } from '../../infra/policy-engine/explain-decision.ts';

const COGNITO = 'cognito-identity.amazonaws.com';

/** A signed-in caller as its Cognito credentials would present it to IAM. */
export interface LinkCaller {
  userId: string;
  identityId: string;
  principalTags: Readonly<Record<string, string>>;
}

export type ReadDecision = { allowed: true } | { allowed: false; explanation: string };

/**
 * Whether a caller's own credentials could read a key: the access rules compiled once into the
 * authenticated role's statements (the compiler the stack uses), evaluated per request by the
 * policy engine with the context keys STS fixes for a Cognito web-identity session (`aud`, `sub`,
 * `amr`, principal tags). A link never reaches what the caller could not `s3:GetObject` itself.
 */
export class ReadAccessPolicy {
  private readonly policy: CompiledPolicy;
  private readonly bucketArn: string;

  constructor(private readonly options: { bucket: string; accessRules: readonly AccessRule[]; identityPoolId: string; developerProviderName: string }) {
    this.bucketArn = `arn:aws:s3:::${options.bucket}`;
    const statements = compileAccessRules(options.accessRules, { bucketArn: this.bucketArn }).authenticated;
    this.policy = compilePolicy({ Version: '2012-10-17', Statement: statements }, { name: 'AuthenticatedRoleAccessRules', kind: 'identity' });
  }

  decide(caller: LinkCaller, fullKey: string): ReadDecision {
    const { identityPoolId, developerProviderName } = this.options;
    const result = evaluatePolicies(
      { identityPolicies: [this.policy] },
      {
        action: 's3:GetObject',
        resource: `${this.bucketArn}/${fullKey}`,
        context: {
          'aws:FederatedProvider': COGNITO,
          [`${COGNITO}:aud`]: identityPoolId,
          [`${COGNITO}:sub`]: caller.identityId,
          // As Cognito sets it for a developer-authenticated identity.
          [`${COGNITO}:amr`]: ['authenticated', developerProviderName, `${developerProviderName}:${identityPoolId}:${caller.userId}`],
          'aws:SecureTransport': 'true',
          ...Object.fromEntries(Object.entries(caller.principalTags).map(([key, value]) => [`aws:PrincipalTag/${key}`, value])),
        },
      },
    );
    if (result.decision === 'Allow') return { allowed: true };
    // The decision and its reason, without the statements (no policy text leaves the service).
    return { allowed: false, explanation: explainDecision(result).split('\n').slice(0, 2).map((line) => line.trim()).join('; ') };
  }
}

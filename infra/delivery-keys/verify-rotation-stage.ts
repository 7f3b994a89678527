import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CDN_KEY_PAIR_RESOURCE_TYPE } from '../construct/storage-delivery.ts';
import type { CdnKeySlot } from '../construct/delivery-options.ts';
import { buildStack } from '../stack/build-stack.ts';
import type { RotationStage } from './rotation-plan.ts';

/** What a stage's synthesized template holds: the slots in the key group and the slot the token service signs with. */
export interface StageTemplateFacts {
  readonly keyPairSlots: CdnKeySlot[];
  readonly keyGroupSlots: CdnKeySlot[];
  readonly signingSlot: CdnKeySlot | undefined;
  readonly secretReadSlots: CdnKeySlot[];
}

const SLOT_OF_LOGICAL_ID = /(?:KeyPair|PublicKey)([AB])[0-9A-F]{8}$/;

function slotOf(logicalId: string): CdnKeySlot | undefined {
  const match = SLOT_OF_LOGICAL_ID.exec(logicalId);
  return match ? (match[1]!.toLowerCase() as CdnKeySlot) : undefined;
}

/**
 * Synthesizes the stack as the stage deploys it (the same `-c` switches, through the same
 * buildStack) and reads back its key configuration. The origin only satisfies the stack's
 * required prop; the keys do not depend on it.
 */
export function stageTemplateFacts(stage: Pick<RotationStage, 'keySlots' | 'activeKeySlot'>): StageTemplateFacts {
  const app = new App({ context: { delivery: 'true', deliveryKeySlots: stage.keySlots.join(','), deliveryActiveKey: stage.activeKeySlot, 'aws:cdk:bundling-stacks': [] } });
  const { stack } = buildStack({ app, nagChecks: false, allowedOrigins: ['https://rotation-check.example.com'] });
  const template = Template.fromStack(stack).toJSON() as { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  const resources = Object.entries(template.Resources);
  const slots = (ids: string[]): CdnKeySlot[] => ids.map(slotOf).filter((slot): slot is CdnKeySlot => slot !== undefined);
  const keyPairSlots = slots(resources.filter(([, resource]) => resource.Type === CDN_KEY_PAIR_RESOURCE_TYPE).map(([id]) => id));
  const keyGroup = resources.find(([, resource]) => resource.Type === 'AWS::CloudFront::KeyGroup')?.[1];
  const items = ((keyGroup?.Properties?.KeyGroupConfig as { Items?: Array<{ Ref: string }> } | undefined)?.Items ?? []).map((item) => item.Ref);
  const tokenService = resources.find(([id, resource]) => resource.Type === 'AWS::Lambda::Function' && id.startsWith('TokenServiceFunction'))?.[1];
  const variables = (tokenService?.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
  const signingKey = (variables.TOKEN_SERVICE_CDN_KEY_PAIR_ID as { Ref?: string } | undefined)?.Ref;
  const secretReads = resources
    .filter(([id, resource]) => resource.Type === 'AWS::IAM::Policy' && id.startsWith('TokenServiceFunctionRole'))
    .flatMap(([, resource]) => (resource.Properties?.PolicyDocument as { Statement: Array<{ Sid?: string; Resource: unknown }> }).Statement)
    .filter((statement) => statement.Sid === 'ReadCdnPrivateKey')
    .map((statement) => (statement.Resource as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
  return { keyPairSlots, keyGroupSlots: slots(items), signingSlot: signingKey ? slotOf(signingKey) : undefined, secretReadSlots: slots(secretReads) };
}

/** Problems of a stage's template: anything but exactly its slots trusted, its active slot signing and readable. */
export function stageProblems(stage: RotationStage): string[] {
  const facts = stageTemplateFacts(stage);
  const expected = [...stage.keySlots].sort().join(',');
  const problems: string[] = [];
  if ([...facts.keyPairSlots].sort().join(',') !== expected) problems.push(`key pairs ${facts.keyPairSlots.join(',')} instead of ${expected}`);
  if ([...facts.keyGroupSlots].sort().join(',') !== expected) problems.push(`key group trusts ${facts.keyGroupSlots.join(',')} instead of ${expected}`);
  if (facts.signingSlot !== stage.activeKeySlot) problems.push(`token service signs with ${facts.signingSlot ?? 'nothing'} instead of ${stage.activeKeySlot}`);
  if (facts.secretReadSlots.join(',') !== stage.activeKeySlot) problems.push(`token service reads the secrets of ${facts.secretReadSlots.join(',') || 'no slot'} instead of ${stage.activeKeySlot}`);
  return problems;
}

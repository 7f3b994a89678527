import { CDN_KEY_SLOTS, type CdnKeySlot } from '../construct/delivery-options.ts';

/** One deployment of a key rotation: the `-c` switches it deploys with and what it changes. */
export interface RotationStage {
  readonly name: 'add' | 'switch' | 'retire';
  readonly keySlots: readonly CdnKeySlot[];
  readonly activeKeySlot: CdnKeySlot;
  /** What this deployment does, for the operator. */
  readonly effect: string;
  /** What must be true before this deployment starts. */
  readonly before: string;
}

export const ROTATION_STAGE_NAMES: readonly RotationStage['name'][] = ['add', 'switch', 'retire'];

/** The other slot: a rotation always moves to the slot not in use. */
export function otherSlot(slot: CdnKeySlot): CdnKeySlot {
  return CDN_KEY_SLOTS.find((candidate) => candidate !== slot)!;
}

/**
 * The three deployments that replace the key in slot `from` with a new key pair in the other
 * slot without a moment when a valid link stops working: trust both keys, sign with the new
 * one, and drop the old one only once everything it signed has expired.
 */
export function rotationPlan(from: CdnKeySlot, maxLinkLifetimeSeconds: number): RotationStage[] {
  const to = otherSlot(from);
  return [
    {
      name: 'add',
      keySlots: [from, to],
      activeKeySlot: from,
      before: `slot ${from} is the only key (the stack deploys with deliveryKeySlots=${from}, the default being a)`,
      effect: `creates key pair ${to} (a new private key in Secrets Manager) and adds its public key to the key group; the token service still signs with ${from}`,
    },
    {
      name: 'switch',
      keySlots: [from, to],
      activeKeySlot: to,
      before: 'the add deployment finished (CloudFront trusts the new key once the distribution shows Deployed)',
      effect: `the token service signs new links and cookies with ${to}; links signed with ${from} keep working, since ${from} stays in the key group`,
    },
    {
      name: 'retire',
      keySlots: [to],
      activeKeySlot: to,
      before: `${describeDuration(maxLinkLifetimeSeconds)} (the longest link lifetime) have passed since the switch deployment, so every link and cookie signed with ${from} has expired`,
      effect: `removes ${from}'s public key from the key group and deletes it; its secret is scheduled for deletion (7-day recovery window). Links signed with ${from} now get 403. Keep deploying with deliveryKeySlots=${to} and deliveryActiveKey=${to} from now on (put both in cdk.json's context): a deployment without them goes back to slot a`,
    },
  ];
}

/** The `-c` switches a stage deploys with. */
export function stageContextArguments(stage: RotationStage): string[] {
  return ['-c', 'delivery=true', '-c', `deliveryKeySlots=${stage.keySlots.join(',')}`, '-c', `deliveryActiveKey=${stage.activeKeySlot}`];
}

export function describeDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day${seconds === 86_400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  if (seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? '' : 's'}`;
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

import { Annotations, App, Validations } from 'aws-cdk-lib';
import { closestName } from '../policy-engine/closest-name.ts';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ScopedStoragePropsError, type DeliveryOptions } from '../construct/index.ts';
import { ScopedStorageStack, type ScopedStorageStackProps } from './scoped-storage-stack.ts';
import { suppressAcceptedNagFindings } from './nag-suppressions.ts';

const DEFAULT_STACK_NAME = 'ScopedStorage';
/** The origin `npm start` serves the web page on unless told otherwise; only local synthesis uses it by default. */
export const DEFAULT_LOCAL_ORIGIN = 'http://localhost:5173';

export interface BuildStackOptions extends Partial<ScopedStorageStackProps> {
  app?: App;
  stackName?: string;
  /** Run the cdk-nag AwsSolutions checks during synthesis. @default true */
  nagChecks?: boolean;
}

/** Builds the app and stack the same way for `cdk synth`, the local cloud and the tests. */
export function buildStack(options: BuildStackOptions = {}): { app: App; stack: ScopedStorageStack } {
  const { app = new App(), stackName = DEFAULT_STACK_NAME, nagChecks = true, ...props } = options;
  const allowedOrigins = props.allowedOrigins ?? listFromContext(app.node.tryGetContext('allowedOrigins'));
  // No fallback: a forgotten -c would otherwise let a localhost page drive a real deployment's bucket and API.
  if (allowedOrigins === undefined || allowedOrigins.length === 0) {
    throw new ScopedStoragePropsError(
      'allowedOrigins is not set: pass -c allowedOrigins=https://app.example.com (comma-separated for several) to cdk synth/deploy, or allowedOrigins to buildStack. A deployment never falls back to a localhost origin.',
    );
  }
  const monitoring = props.monitoring ?? monitoringFromContext(app);
  const stack = new ScopedStorageStack(app, stackName, {
    ...props,
    allowedOrigins,
    allowGuests: props.allowGuests ?? booleanFromContext('allowGuests', app.node.tryGetContext('allowGuests')),
    auditTrail: props.auditTrail ?? (booleanFromContext('auditTrail', app.node.tryGetContext('auditTrail')) || undefined),
    monitoring,
    delivery: props.delivery ?? deliveryFromContext(app),
    requireEncryptionHeader: props.requireEncryptionHeader ?? booleanFromContext('requireEncryptionHeader', app.node.tryGetContext('requireEncryptionHeader')),
  });
  warnOfUnknownContext(app, stack);
  suppressAcceptedNagFindings(stack);
  if (nagChecks) Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
}

/** The `-c` switches of this stack; CDK's own context keys hold a `:` or start with `@`. */
const STACK_CONTEXT_KEYS = [
  'allowedOrigins',
  'allowGuests',
  'auditTrail',
  'monitoring',
  'alarmEmails',
  'accessDeniedThreshold',
  'delivery',
  'deliveryKeySlots',
  'deliveryActiveKey',
  'requireEncryptionHeader',
];

/**
 * `-c delivery=true`, with the key rotation's `-c deliveryKeySlots=a,b` and
 * `-c deliveryActiveKey=b` (either implies delivery). The slots are checked by the construct.
 */
function deliveryFromContext(app: App): ScopedStorageStackProps['delivery'] {
  const given = app.node.tryGetContext('delivery');
  const keySlots = listFromContext(app.node.tryGetContext('deliveryKeySlots'));
  const activeKeySlot = app.node.tryGetContext('deliveryActiveKey') as unknown;
  const asked = booleanFromContext('delivery', given);
  if (given !== undefined && !asked && (keySlots !== undefined || activeKeySlot !== undefined)) {
    throw new ScopedStoragePropsError('delivery is false, but deliveryKeySlots or deliveryActiveKey is set, which configures the distribution\'s keys: drop -c delivery=false, or the other switch.');
  }
  if (!asked && keySlots === undefined && activeKeySlot === undefined) return undefined;
  if (keySlots === undefined && activeKeySlot === undefined) return true;
  return {
    ...(keySlots ? { keySlots: keySlots as DeliveryOptions['keySlots'] } : {}),
    ...(activeKeySlot !== undefined ? { activeKeySlot: String(activeKeySlot) as DeliveryOptions['activeKeySlot'] } : {}),
  };
}

/**
 * `-c monitoring=true`, `-c alarmEmails=a@x,b@y` (which implies monitoring) and
 * `-c accessDeniedThreshold=<n>|false`. An explicit `monitoring=false` beside either of the others
 * is a contradiction to report, not something to override silently.
 */
function monitoringFromContext(app: App): ScopedStorageStackProps['monitoring'] {
  const given = app.node.tryGetContext('monitoring');
  const alarmEmails = listFromContext(app.node.tryGetContext('alarmEmails'));
  const threshold = app.node.tryGetContext('accessDeniedThreshold');
  const accessDeniedThreshold = threshold === undefined ? undefined : threshold === false || threshold === 'false' ? false : Number(threshold);
  const asked = booleanFromContext('monitoring', given);
  if (given !== undefined && !asked && (alarmEmails !== undefined || threshold !== undefined)) {
    throw new ScopedStoragePropsError(`monitoring is false, but ${alarmEmails !== undefined ? 'alarmEmails' : 'accessDeniedThreshold'} is set, which configures the alarms: drop -c monitoring=false, or the other switch.`);
  }
  if (!asked && alarmEmails === undefined && threshold === undefined) return undefined;
  return { ...(alarmEmails ? { emailSubscriptions: alarmEmails } : {}), ...(accessDeniedThreshold !== undefined ? { accessDeniedThreshold } : {}) };
}

/** A misspelt `-c` switch (`monitorng=true`) would otherwise leave its feature off without a word. */
function warnOfUnknownContext(app: App, stack: ScopedStorageStack): void {
  for (const key of Object.keys(app.node.getAllContext())) {
    if (key.includes(':') || key.startsWith('@') || STACK_CONTEXT_KEYS.includes(key)) continue;
    const suggestion = closestName(key, STACK_CONTEXT_KEYS, 3);
    Annotations.of(stack).addWarningV2('scoped-storage:unknown-context', `Unknown context "-c ${key}": this stack reads ${STACK_CONTEXT_KEYS.join(', ')}${suggestion ? ` (did you mean ${suggestion}?)` : ''}.`);
  }
}

/** Context comes as a JSON array from cdk.json, or as a comma-separated string from `-c allowedOrigins=...` (or `-c alarmEmails=...`). */
function listFromContext(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(String);
  return String(value).split(',').map((origin) => origin.trim()).filter(Boolean);
}

/**
 * `-c allowGuests=true` (or `auditTrail`, `monitoring`) arrives as a string, cdk.json may hold a
 * boolean; anything else is a typo to report, not "off".
 */
function booleanFromContext(name: string, value: unknown): boolean {
  if (value === undefined || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  throw new ScopedStoragePropsError(`${name} must be true or false (got ${JSON.stringify(value)}): pass -c ${name}=true to turn it on.`);
}

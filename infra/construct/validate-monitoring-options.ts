import { Token } from 'aws-cdk-lib';
import type { StorageAuditTrail } from './storage-audit-trail.ts';
import type { StorageMonitoringOptions } from './storage-monitoring-options.ts';
import { ScopedStoragePropsError } from './validate-scoped-storage-props.ts';

/** Checks the monitoring options at synth, so a typo cannot deploy an alarm that never fires. */
export function validateMonitoringOptions(options: StorageMonitoringOptions, auditTrail: StorageAuditTrail | undefined): void {
  if (options.period !== undefined) {
    const seconds = options.period.toSeconds();
    if (!Number.isInteger(seconds / 60) || seconds < 60 || seconds > 3600) {
      throw new ScopedStoragePropsError(`monitoring.period must be whole minutes from 1 to 60 (got ${options.period.toHumanString()}).`);
    }
  }
  for (const name of ['minimumRequests', 'functionErrors', 'functionThrottles'] as const) {
    const value = options[name];
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new ScopedStoragePropsError(`monitoring.${name} must be a positive whole number (got ${value}).`);
    }
  }
  for (const name of ['serverErrorRatePercent', 'throttledRatePercent'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'number' || !(value > 0 && value <= 100))) {
      throw new ScopedStoragePropsError(`monitoring.${name} must be a percentage above 0 and at most 100 (got ${value}).`);
    }
  }
  const accessDenied = options.accessDeniedThreshold;
  if (accessDenied !== undefined && accessDenied !== false && (!Number.isInteger(accessDenied) || accessDenied < 1)) {
    throw new ScopedStoragePropsError(`monitoring.accessDeniedThreshold must be a positive whole number, or false to leave the AccessDenied alarm out (got ${accessDenied}).`);
  }
  if (accessDenied !== false) {
    if (!auditTrail) {
      throw new ScopedStoragePropsError(
        'monitoring: the AccessDenied alarm counts denied S3 requests in the audit trail\'s CloudTrail data events, but auditTrail is not set; set auditTrail: true for a new trail (-c auditTrail=true with cdk synth/deploy) or auditTrail: { trail, logGroup } for one of yours, or monitoring.accessDeniedThreshold: false to go without this alarm.',
      );
    }
    if (!auditTrail.logGroup) {
      throw new ScopedStoragePropsError(
        'monitoring: the AccessDenied alarm reads the audit trail\'s events in CloudWatch Logs, but auditTrail.trail was given without auditTrail.logGroup; pass the log group that trail delivers to, or set monitoring.accessDeniedThreshold: false.',
      );
    }
  }
  const seen = new Set<string>();
  for (const email of options.emailSubscriptions ?? []) {
    if (typeof email !== 'string' || (!Token.isUnresolved(email) && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))) {
      throw new ScopedStoragePropsError(`monitoring.emailSubscriptions: "${String(email)}" is not an email address.`);
    }
    // SNS would subscribe the same mailbox twice, and every alarm would arrive twice.
    if (!Token.isUnresolved(email) && seen.has(email.toLowerCase())) throw new ScopedStoragePropsError(`monitoring.emailSubscriptions: "${email}" is listed twice.`);
    seen.add(email.toLowerCase());
  }
  if (options.dashboardName !== undefined && !Token.isUnresolved(options.dashboardName) && !/^[\w-]{1,255}$/.test(options.dashboardName)) {
    throw new ScopedStoragePropsError(`monitoring.dashboardName "${options.dashboardName}" is invalid: 1 to 255 letters, digits, "_" or "-".`);
  }
}

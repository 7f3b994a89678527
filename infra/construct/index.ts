export { ScopedStorage } from './scoped-storage.ts';
export type { ScopedStorageProps } from './scoped-storage-props.ts';
export { DEFAULT_DEVELOPER_PROVIDER_NAME } from './scoped-storage-props.ts';
export { ScopedStoragePropsError } from './validate-scoped-storage-props.ts';
export { BROWSER_EXPOSED_HEADERS, BROWSER_REQUEST_HEADERS } from './browser-cors-rules.ts';
export { StorageAuditTrail, type AuditTrailOptions, type StorageAuditTrailProps } from './storage-audit-trail.ts';
export { StorageDelivery, CDN_KEY_PAIR_RESOURCE_TYPE, CDN_READ_STATEMENT_SID, type StorageDeliveryProps } from './storage-delivery.ts';
export { CDN_KEY_SLOTS, DELIVERY_DEFAULTS, MAX_LINK_LIFETIME_SECONDS, MIN_LINK_LIFETIME_SECONDS, type CdnKeySlot, type DeliveryOptions } from './delivery-options.ts';
export { StorageMonitoring, type StorageMonitoringProps } from './storage-monitoring.ts';
export { MONITORING_DEFAULTS, type StorageMonitoringOptions } from './storage-monitoring-options.ts';
export { TokenServiceApi, type TokenServiceApiProps, type TokenServiceAuthenticator, type TokenServiceDelivery } from './token-service-api.ts';
export {
  ACCESS_GRANTEES,
  ACCESS_PERMISSIONS,
  AccessRuleError,
  DEFAULT_ACCESS_RULES,
  defaultAccessRules,
  publishedLocations,
  validateAccessRules,
  type DefaultAccessRulesOptions,
  type PublishedLocation,
  type AccessGrantee,
  type AccessPermission,
  type AccessRule,
} from '../access-rules/index.ts';

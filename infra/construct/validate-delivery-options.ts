import { Duration, Token } from 'aws-cdk-lib';
import { PriceClass } from 'aws-cdk-lib/aws-cloudfront';
import { CDN_KEY_SLOTS, MAX_LINK_LIFETIME_SECONDS, MIN_LINK_LIFETIME_SECONDS, type DeliveryOptions } from './delivery-options.ts';
import { ScopedStoragePropsError } from './scoped-storage-props-error.ts';

/** A host name of at least two labels (`example.com`), as a cookie's `Domain` must be. */
const COOKIE_DOMAIN_PATTERN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Validates `delivery` at construction, so a mistake fails `cdk synth` with the prop's name. */
export function validateDeliveryOptions(delivery: unknown): asserts delivery is undefined | true | DeliveryOptions {
  if (delivery === undefined || delivery === true) return;
  if (typeof delivery !== 'object' || delivery === null || Array.isArray(delivery)) {
    throw new ScopedStoragePropsError(`delivery must be true (a distribution with every default) or { maxLinkLifetime?, logBucket?, priceClass?, cookieDomain?, keySlots?, activeKeySlot? } (got ${JSON.stringify(delivery)}); leave it out for no distribution.`);
  }
  const options = delivery as DeliveryOptions;
  const lifetime = options.maxLinkLifetime;
  if (lifetime !== undefined) {
    if (!(lifetime instanceof Duration)) throw new ScopedStoragePropsError('delivery.maxLinkLifetime must be a Duration, e.g. Duration.days(7).');
    const seconds = lifetime.toSeconds({ integral: false });
    if (!Number.isInteger(seconds) || seconds < MIN_LINK_LIFETIME_SECONDS || seconds > MAX_LINK_LIFETIME_SECONDS) {
      throw new ScopedStoragePropsError(`delivery.maxLinkLifetime must be a whole number of seconds from ${MIN_LINK_LIFETIME_SECONDS} to ${MAX_LINK_LIFETIME_SECONDS} (7 days) (got ${seconds} seconds): a signed link cannot be revoked before it expires.`);
    }
  }
  if (options.priceClass !== undefined && !Object.values(PriceClass).includes(options.priceClass)) {
    throw new ScopedStoragePropsError(`delivery.priceClass must be a cloudfront.PriceClass (got ${JSON.stringify(options.priceClass)}).`);
  }
  const domain = options.cookieDomain;
  if (domain !== undefined && !Token.isUnresolved(domain)) {
    if (typeof domain !== 'string' || !COOKIE_DOMAIN_PATTERN.test(domain)) {
      throw new ScopedStoragePropsError(`delivery.cookieDomain must be a lower-case host name of at least two labels without scheme, port, path or leading dot, e.g. "example.com" (got ${JSON.stringify(domain)}).`);
    }
  }
  const slots = options.keySlots;
  if (slots !== undefined) {
    if (!Array.isArray(slots) || slots.length === 0 || slots.length > CDN_KEY_SLOTS.length || slots.some((slot) => !CDN_KEY_SLOTS.includes(slot)) || new Set(slots).size !== slots.length) {
      throw new ScopedStoragePropsError(`delivery.keySlots must list one or both of ${CDN_KEY_SLOTS.map((slot) => `'${slot}'`).join(', ')}, each once (got ${JSON.stringify(slots)}).`);
    }
  }
  const active = options.activeKeySlot;
  if (active !== undefined && !(slots ?? ['a']).includes(active)) {
    throw new ScopedStoragePropsError(`delivery.activeKeySlot '${String(active)}' is not one of delivery.keySlots ${JSON.stringify(slots ?? ['a'])}: the token service can only sign with a key the distribution trusts.`);
  }
}

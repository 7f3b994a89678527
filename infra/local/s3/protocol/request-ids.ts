import { randomBytes } from 'node:crypto';

/**
 * S3's `x-amz-request-id` (16 upper-case hex digits) and `x-amz-id-2` (opaque base64), unique
 * per request: a random prefix drawn once per process and a counter. Ids only tell requests
 * apart in logs and error documents; nothing trusts them, so they need not be unpredictable,
 * and drawing random bytes twice per request was a measurable share of a small request's cost.
 */
export interface RequestIds {
  requestId: string;
  hostId: string;
}

const processPrefix = randomBytes(4).toString('hex').toUpperCase();
const hostIdPrefix = randomBytes(20);
let counter = 0;

export function nextRequestIds(): RequestIds {
  counter = (counter + 1) % 0x1_0000_0000;
  const sequence = counter.toString(16).toUpperCase().padStart(8, '0');
  const hostId = Buffer.allocUnsafe(24);
  hostIdPrefix.copy(hostId, 0);
  hostId.writeUInt32BE(counter, 20);
  return { requestId: `${processPrefix}${sequence}`, hostId: hostId.toString('base64') };
}

import { describe, expect, test } from 'vitest';
import { nextRequestIds } from '../../../infra/local/s3/protocol/request-ids.ts';

describe('S3 request ids', () => {
  test('have the shapes S3 gives them and never repeat', () => {
    const requestIds = new Set<string>();
    const hostIds = new Set<string>();
    for (let index = 0; index < 10_000; index += 1) {
      const { requestId, hostId } = nextRequestIds();
      expect(requestId).toMatch(/^[0-9A-F]{16}$/);
      expect(Buffer.from(hostId, 'base64').length).toBe(24);
      requestIds.add(requestId);
      hostIds.add(hostId);
    }
    expect(requestIds.size).toBe(10_000);
    expect(hostIds.size).toBe(10_000);
  });
});

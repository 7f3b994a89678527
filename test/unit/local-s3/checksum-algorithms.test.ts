import { describe, expect, test } from 'vitest';
import { CHECKSUM_ALGORITHMS, CHECKSUM_DIGEST_BYTES, createChecksumDigest, type ChecksumAlgorithm } from '../../../infra/local/s3/model/checksum-algorithms.ts';

async function digestHex(algorithm: ChecksumAlgorithm, chunks: Uint8Array[]): Promise<string> {
  const digest = createChecksumDigest(algorithm);
  for (const chunk of chunks) digest.update(chunk);
  return (await digest.digest()).toString('hex');
}

/** The catalogue check value of each algorithm: its digest of the nine ASCII bytes "123456789". */
const CHECK_VALUES: Record<ChecksumAlgorithm, string> = {
  CRC32: 'cbf43926',
  CRC32C: 'e3069283',
  CRC64NVME: 'ae8b14860a799888',
  SHA1: 'f7c3bc1d808e04732adf679965ccc34ca7ae3441',
  SHA256: '15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225',
};

describe('the local S3 checksum algorithms', () => {
  test.each(CHECKSUM_ALGORITHMS)('%s gives its published check value, whole or in pieces', async (algorithm) => {
    expect(await digestHex(algorithm, [Buffer.from('123456789')])).toBe(CHECK_VALUES[algorithm]);
    expect(await digestHex(algorithm, [Buffer.from('12345'), Buffer.alloc(0), Buffer.from('6789')])).toBe(CHECK_VALUES[algorithm]);
  });

  test('CRC32C gives the iSCSI test vectors of RFC 3720 (B.4)', async () => {
    const ascending = Uint8Array.from({ length: 32 }, (_, index) => index);
    expect(await digestHex('CRC32C', [new Uint8Array(32)])).toBe('8a9136aa');
    expect(await digestHex('CRC32C', [new Uint8Array(32).fill(0xff)])).toBe('62a8ab43');
    expect(await digestHex('CRC32C', [ascending])).toBe('46dd794e');
  });

  test.each(CHECKSUM_ALGORITHMS)('%s digests a large body fed in uneven chunks like the same body at once', async (algorithm) => {
    const body = Uint8Array.from({ length: 100_003 }, (_, index) => (index * 7919) & 0xff);
    const chunks: Uint8Array[] = [];
    for (let offset = 0, size = 1; offset < body.length; offset += size, size = (size * 3 + 1) % 4099) chunks.push(body.subarray(offset, offset + size));
    const whole = await digestHex(algorithm, [body]);
    expect(await digestHex(algorithm, chunks)).toBe(whole);
    expect(whole).toHaveLength(CHECKSUM_DIGEST_BYTES[algorithm] * 2);
  });
});

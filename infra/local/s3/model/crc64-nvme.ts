/**
 * CRC-64/NVME (reflected polynomial 0x9A6C9329AC4BC9B5), the checksum S3 uses for full-object
 * checksums. The 64-bit state is kept as two 32-bit halves so no BigInt work happens per byte.
 */
const [TABLE_HIGH, TABLE_LOW] = (() => {
  const high = new Uint32Array(256);
  const low = new Uint32Array(256);
  const polynomial = 0x9a6c9329ac4bc9b5n;
  for (let index = 0; index < 256; index++) {
    let value = BigInt(index);
    for (let bit = 0; bit < 8; bit++) value = value & 1n ? (value >> 1n) ^ polynomial : value >> 1n;
    high[index] = Number(value >> 32n);
    low[index] = Number(value & 0xffffffffn);
  }
  return [high, low];
})();

export class Crc64Nvme {
  private high = 0xffffffff;
  private low = 0xffffffff;

  update(data: Uint8Array): void {
    let { high, low } = this;
    for (let index = 0; index < data.length; index++) {
      const entry = (low ^ (data[index] as number)) & 0xff;
      low = (((low >>> 8) | (high << 24)) ^ (TABLE_LOW[entry] as number)) >>> 0;
      high = ((high >>> 8) ^ (TABLE_HIGH[entry] as number)) >>> 0;
    }
    this.high = high;
    this.low = low;
  }

  /** The checksum as 8 big-endian bytes (how S3 encodes it, before base64). */
  digest(): Buffer {
    const bytes = Buffer.alloc(8);
    bytes.writeUInt32BE(~this.high >>> 0, 0);
    bytes.writeUInt32BE(~this.low >>> 0, 4);
    return bytes;
  }
}

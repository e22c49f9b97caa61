/**
 * CRC32C (Castagnoli), the checksum of the v2 `PP2_TYPE_CRC32C` TLV, computed as RFC 4960
 * appendix B describes (reflected polynomial 0x82F63B78, initial value and final XOR
 * 0xFFFFFFFF). Node has no CRC32C of its own; this is the byte-wise table form.
 *
 * @module
 */

const TABLE = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  TABLE[n] = c >>> 0;
}

/**
 * The CRC32C of `bytes` as an unsigned 32-bit number.
 * @example
 * ```ts
 * crc32c(Buffer.from("123456789")); // 0xe3069283, the standard check value
 * ```
 */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

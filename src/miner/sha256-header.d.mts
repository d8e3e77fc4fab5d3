/**
 * Tries nonces startNonce .. startNonce+count-1 (uint32 range) on the 80-byte
 * header, which is not modified, and returns the first whose double SHA-256,
 * read as a big-endian 256-bit number, is <= the 32-byte big-endian target;
 * -1 if none is.
 */
export function searchNonces (header80: Uint8Array, target32BE: Uint8Array, startNonce: number, count: number): number

/** The raw double SHA-256 of an 80-byte header (same bytes as dsha256). */
export function headerHash (header80: Uint8Array): Uint8Array

/**
 * Key IDs both sides derive from the frame alone, with no extra message:
 * the UUID version 5 (RFC 9562 §5.5: SHA-1, name-based) of the block index
 * written in decimal ("0", "1", ...) in the namespace of the frame UUID.
 */
import { v5 as uuidv5 } from 'uuid';

export function keyId(frameUuid: string, blockIndex: number): string {
  if (!Number.isInteger(blockIndex) || blockIndex < 0) throw new RangeError(`block index must be a non-negative integer, got ${blockIndex}`);
  return uuidv5(String(blockIndex), frameUuid.toLowerCase());
}

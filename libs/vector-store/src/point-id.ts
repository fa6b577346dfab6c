import { createHash } from 'node:crypto';

/** Fixed for the life of the project: changing it would give every stored crop a new point id. */
const CROP_NAMESPACE = Buffer.from('8e5e721b16a54334887b23d8bfc80e13', 'hex');

/**
 * The Qdrant point id of a crop: a UUID v5 (RFC 9562) of the crop id in the project's namespace.
 * Qdrant only takes UUIDs or integers as ids, and a name-based UUID lets a re-run overwrite the
 * same point instead of adding a duplicate.
 */
export function pointIdForCrop(cropId: string): string {
  const bytes = createHash('sha1').update(CROP_NAMESPACE).update(cropId, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Synthetic crops for the index benchmarks (`search`, `scale`): 1024-d fused/image/text vectors in
 * clusters that follow the payload loosely, and the real payload schema with skewed zones and
 * damage types (some rare), drawn so that a crop depends on its index only. Also the filter rows
 * both benchmarks measure and the bulk load.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { mulberry32, VECTOR_KINDS, type VectorKind } from '@defect-rag/runtime';
import type { CropFilter, CropPayload, CropPoint, VectorStore } from '@defect-rag/vector-store';

export const DIMENSION = 1024;
const UPLOAD_CHUNK = 2048;
const UPLOAD = { batchSize: 128, concurrency: 4 };
/** Qdrant's default `indexing_threshold`, restored once the upload is done. */
const DEFAULT_INDEXING_THRESHOLD_KB = 10_000;

/** The generator everything below draws from; reseeded per crop so a crop depends on its index only. */
let random = mulberry32(2024);

function weighted<T extends string>(weights: Record<T, number>): () => T {
  const entries = Object.entries(weights) as [T, number][];
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
  return () => {
    let r = random() * total;
    for (const [value, weight] of entries) if ((r -= weight) < 0) return value;
    return entries[entries.length - 1]![0];
  };
}

// Shares roughly as in a body-shop dataset: bumpers and doors everywhere, roofs and wheels rare.
const ZONE_AREA = {
  front_bumper: 'front',
  rear_bumper: 'rear',
  front_door: 'side',
  rear_door: 'side',
  hood: 'front',
  fender: 'side',
  trunk: 'rear',
  quarter_panel: 'side',
  side_mirror: 'side',
  headlight: 'front',
  taillight: 'rear',
  windshield: 'glass',
  roof: 'top',
  wheel: 'side',
  undercarriage: 'bottom',
} as const;
type Zone = keyof typeof ZONE_AREA;
const zone = weighted<Zone>({
  front_bumper: 22,
  rear_bumper: 16,
  front_door: 14,
  rear_door: 10,
  hood: 10,
  fender: 8,
  trunk: 6,
  quarter_panel: 5,
  side_mirror: 3,
  headlight: 2,
  taillight: 1.5,
  windshield: 1,
  roof: 1,
  wheel: 0.4,
  undercarriage: 0.1,
});
const DAMAGE_TYPE_WEIGHTS = {
  scratch: 40,
  dent: 25,
  paint_chip: 12,
  crack: 10,
  broken_glass: 5,
  broken_lamp: 4,
  flat_tire: 2,
  rust: 1.5,
  glass_shatter: 0.3,
};
const damageType = weighted(DAMAGE_TYPE_WEIGHTS);
const dataset = weighted({ 'fleet-a': 70, 'fleet-b': 25, demo: 5 });
const split = weighted({ train: 70, val: 15, test: 15 });

function unitVector(): Float32Array {
  const vector = Float32Array.from({ length: DIMENSION }, () => random() * 2 - 1);
  return normalize(vector);
}

function normalize(vector: Float32Array): Float32Array {
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm);
  for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}

/** Σ weight·vector plus isotropic noise of norm `noise`, normalised. */
function mix(parts: [number, Float32Array][], noise: number): Float32Array {
  const out = new Float32Array(DIMENSION);
  const scale = (noise * Math.sqrt(3)) / Math.sqrt(DIMENSION); // uniform noise of that expected norm
  for (let i = 0; i < DIMENSION; i++) {
    let value = (random() * 2 - 1) * scale;
    for (const [weight, vector] of parts) value += weight * vector[i]!;
    out[i] = value;
  }
  return normalize(out);
}

// Image vectors: 128 visual clusters with 32 sub-directions each; the zone picks the cluster group
// most of the time, so neighbourhoods correlate with payloads without following them exactly.
const CLUSTERS = Array.from({ length: 128 }, unitVector);
const SUBDIRECTIONS = Array.from({ length: 32 }, unitVector);
const ZONES = Object.keys(ZONE_AREA) as Zone[];
// Text vectors: the descriptions are templates of zone and damage, so they sit in tight clusters.
const textCentroids = new Map(
  ZONES.flatMap((zoneName) =>
    [...Object.keys(DAMAGE_TYPE_WEIGHTS), 'clean'].map((type) => [`${zoneName}/${type}`, unitVector()] as const),
  ),
);

export function syntheticCrop(index: number): CropPoint {
  random = mulberry32(2024 + index * 0x9e3779b1);
  const vehicleZone = zone();
  const hasDamage = random() < 0.5;
  const damageTypes = hasDamage ? [...new Set([damageType(), ...(random() < 0.25 ? [damageType()] : [])])] : [];
  const datasetId = dataset();
  const imageId = `${datasetId}-img-${Math.floor(index / 6)}`;
  const cropId = `${imageId}/crop-${index}`;
  const zoneIndex = ZONES.indexOf(vehicleZone);
  const cluster =
    random() < 0.7
      ? (zoneIndex * 8 + Math.floor(random() * 8)) % CLUSTERS.length
      : Math.floor(random() * CLUSTERS.length);
  const image = mix(
    [
      [1, CLUSTERS[cluster]!],
      [0.6, SUBDIRECTIONS[Math.floor(random() * SUBDIRECTIONS.length)]!],
    ],
    0.6,
  );
  const text = mix([[1, textCentroids.get(`${vehicleZone}/${damageTypes[0] ?? 'clean'}`)!]], 0.3);
  const fused = mix(
    [
      [1, image],
      [1, text],
    ],
    0,
  );
  const payload: CropPayload = {
    crop_id: cropId,
    level: 'crop',
    dataset_id: datasetId,
    image_id: imageId,
    image: `images/${imageId}.jpg`,
    file: `crops/${cropId}.jpg`,
    split: datasetId === 'demo' ? null : split(),
    has_damage: hasDamage,
    labelled: true,
    vehicle_zone: vehicleZone,
    area: ZONE_AREA[vehicleZone],
    damage_types: damageTypes,
    defects: damageTypes.map((type) => ({
      label: type,
      type,
      box: { x: 40, y: 60, width: 120, height: 80 },
      polygon: [] as [number, number][],
      visible_fraction: 1,
      critical: false,
    })),
    text_description: hasDamage
      ? `${damageTypes.join(' and ')} on the ${vehicleZone}`
      : `clean paint on the ${vehicleZone}`,
    grid_pos: hasDamage ? null : [index % 4, index % 6],
    box: { x: 0, y: 0, width: 336, height: 336 },
    strategy: hasDamage ? 'cluster' : 'grid',
    model_id: 'bench/synthetic-1024',
    content_hash: `h${index}`,
  };
  return { cropId, vectors: { fused, image, text }, payload };
}

export const FILTERS: { name: string; filter: CropFilter; using?: VectorKind }[] = [
  { name: 'none (fused)', filter: {} },
  { name: 'none (image)', filter: {}, using: 'image' },
  { name: 'damaged', filter: { hasDamage: true } },
  { name: 'zone front_bumper', filter: { zones: ['front_bumper'] } },
  { name: 'split test', filter: { split: 'test' } },
  { name: 'damage scratch|dent', filter: { damageTypes: ['scratch', 'dent'] } },
  { name: 'damaged + zone side doors', filter: { hasDamage: true, zones: ['front_door', 'rear_door'] } },
  { name: 'dataset fleet-b + split train', filter: { datasetId: 'fleet-b', split: 'train' } },
  { name: 'zone + damage + split', filter: { zones: ['front_bumper', 'hood'], damageTypes: ['dent'], split: 'train' } },
  { name: 'rare zone roof', filter: { zones: ['roof'] } },
  { name: 'rare damage rust', filter: { damageTypes: ['rust'] } },
  { name: 'rare zone wheel + damaged', filter: { zones: ['wheel'], hasDamage: true } },
  { name: 'very rare glass_shatter', filter: { damageTypes: ['glass_shatter'] } },
  { name: 'very rare undercarriage', filter: { zones: ['undercarriage'] } },
];

/**
 * Loads crops 0…points-1 the way Qdrant advises for bulk loads: no HNSW building while the points
 * arrive (it would fight the upload for the CPUs and rebuild segments as they grow), then one
 * build over the final segments, which `waitForIndexing` waits for. With `segments`, Qdrant keeps
 * that many (default_segment_number), each allowed to hold its share of the points.
 */
export async function bulkLoad(
  store: VectorStore,
  url: string,
  collection: string,
  points: number,
  segments?: number,
): Promise<void> {
  const share = segments && { default_segment_number: segments, max_segment_size: segmentKilobytes(points, segments) };
  await setOptimizers(url, collection, { indexing_threshold: 0, ...share });
  let pending: Promise<unknown> = Promise.resolve();
  for (let start = 0; start < points; start += UPLOAD_CHUNK) {
    const chunk = Array.from({ length: Math.min(UPLOAD_CHUNK, points - start) }, (_, i) => syntheticCrop(start + i));
    // Generate the next chunk while Qdrant takes this one.
    await pending;
    pending = store.upsert(collection, chunk, UPLOAD);
    if ((start / UPLOAD_CHUNK) % 10 === 0) process.stdout.write(`  ${start}/${points}\r`);
  }
  await pending;
  await setOptimizers(url, collection, { indexing_threshold: DEFAULT_INDEXING_THRESHOLD_KB });
}

/** Qdrant's max_segment_size for `segments` segments: the original vectors' kilobytes, a quarter more. */
function segmentKilobytes(points: number, segments: number): number {
  return Math.ceil(((points * VECTOR_KINDS.length * DIMENSION * 4) / 1024 / segments) * 1.25);
}

export const UPLOAD_SETTINGS = `batches of ${UPLOAD.batchSize}, ${UPLOAD.concurrency} in flight`;

async function setOptimizers(url: string, collection: string, config: Record<string, number>): Promise<void> {
  const response = await fetch(`${url}/collections/${collection}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ optimizers_config: config }),
  });
  if (!response.ok) throw new Error(`PATCH ${collection} answered ${response.status}: ${await response.text()}`);
}

export async function waitForIndexing(url: string, collection: string): Promise<void> {
  for (;;) {
    const info = (await (await fetch(`${url}/collections/${collection}`)).json()) as { result: { status: string } };
    if (info.result.status === 'green') return;
    await sleep(500);
  }
}

import type { Schemas } from '@qdrant/js-client-rest';
import { DefectRagError, VECTOR_KINDS, type VectorKind } from '@defect-rag/runtime';

export interface CollectionSpec {
  /** The embedding model; one collection per (model, dimension). */
  modelId: string;
  /** The size of every named vector, unless `dimensions` gives its own. */
  dimension: number;
  /** The named vectors it holds; all three by default, `['image']` for an image-only model. */
  vectors?: readonly VectorKind[];
  /**
   * Sizes that differ per named vector: an encoder pair's image and text vectors come from two
   * models, and its fused vectors are both end to end.
   */
  dimensions?: Readonly<Partial<Record<VectorKind, number>>>;
  /**
   * Centring + PCA-whitening to this many dimensions (an image-only model): `image` holds the
   * whitened vectors every search compares, `image_raw` the model's own, from which ingestion fits
   * and applies the transform. Chosen when the collection is made; left out, an existing
   * collection is taken as it is.
   */
  whiten?: number;
  /** HNSW graph degree and build beam; Qdrant's defaults (16, 100) when left out. */
  hnsw?: { m: number; efConstruct: number };
  /** int8 scalar quantization for large collections; searches rescore with the original vectors. */
  quantization?: 'int8';
  /**
   * Original vectors memory-mapped from disk instead of held in RAM (Qdrant's `on_disk`): with
   * int8 quantization the quantized copies stay in RAM and only rescoring reads the originals.
   */
  onDisk?: boolean;
  /**
   * For a Qdrant cluster: the collection is split into `shards`, each kept on `replicationFactor`
   * nodes. A write is acknowledged only once every replica has it (write consistency factor =
   * replication factor), so losing a node never loses an acknowledged point.
   */
  sharding?: { shards: number; replicationFactor: number };
}

/** The payload fields searches filter on, with the index each needs. */
export const PAYLOAD_INDEXES: Readonly<Record<string, 'bool' | 'keyword'>> = {
  has_damage: 'bool',
  labelled: 'bool',
  vehicle_zone: 'keyword',
  area: 'keyword',
  damage_types: 'keyword',
  dataset_id: 'keyword',
  split: 'keyword',
  image_id: 'keyword',
  level: 'keyword',
};

/** Every crop collection's name starts with this; other collections on the server are not ours. */
export const CROP_COLLECTION_PREFIX = 'crops_';

/**
 * `crops_<model>_<dimension>`: the model id lowercased with every run of other characters than
 * [a-z0-9] turned into one `-`. Two model ids that differ only in punctuation share a name; the
 * model id kept in the collection's metadata tells them apart (COLLECTION_MISMATCH).
 */
export function collectionNameFor(modelId: string, dimension: number): string {
  const slug = modelId
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 120);
  return `${CROP_COLLECTION_PREFIX}${slug || 'model'}_${dimension}`;
}

/** The named vector of a whitened collection that keeps the model's own image vectors. */
export const RAW_IMAGE_VECTOR = 'image_raw';

/** The size of each named vector of the collection. */
function vectorSizes(spec: CollectionSpec): [string, number][] {
  const sizes: [string, number][] = (spec.vectors ?? VECTOR_KINDS).map((name) => [
    name,
    spec.dimensions?.[name] ?? spec.dimension,
  ]);
  if (spec.whiten === undefined) return sizes;
  return [
    ...sizes.map(([name, size]): [string, number] => [name, name === 'image' ? spec.whiten! : size]),
    [RAW_IMAGE_VECTOR, spec.dimensions?.image ?? spec.dimension],
  ];
}

export function collectionDefinition(spec: CollectionSpec): Schemas['CreateCollection'] {
  return {
    vectors: Object.fromEntries(
      vectorSizes(spec).map(([name, size]): [string, Schemas['VectorParams']] => [
        name,
        { size, distance: 'Cosine', ...(spec.onDisk && { on_disk: true }) },
      ]),
    ),
    hnsw_config: spec.hnsw ? { m: spec.hnsw.m, ef_construct: spec.hnsw.efConstruct } : undefined,
    quantization_config: spec.quantization ? { scalar: { type: 'int8', quantile: 0.99, always_ram: true } } : undefined,
    shard_number: spec.sharding?.shards,
    replication_factor: spec.sharding?.replicationFactor,
    write_consistency_factor: spec.sharding?.replicationFactor,
    metadata: {
      model_id: spec.modelId,
      dimension: spec.dimension,
      ...(spec.whiten !== undefined && { whiten: spec.whiten }),
    },
  };
}

/** COLLECTION_MISMATCH unless an existing collection has exactly our vectors for this model. */
export function checkExistingCollection(name: string, spec: CollectionSpec, info: Schemas['CollectionInfo']): void {
  const mismatch = (why: string) =>
    new DefectRagError(
      'COLLECTION_MISMATCH',
      `collection "${name}" exists but ${why}; it cannot hold ${spec.dimension}-d vectors of model "${spec.modelId}". ` +
        'Use another model id or delete the collection.',
      { collection: name, modelId: spec.modelId, dimension: spec.dimension },
    );
  const vectors = info.config.params.vectors;
  // A collection with a single unnamed vector has `{ size, distance }` here instead of a map.
  if (!vectors || 'size' in vectors) throw mismatch('has a single unnamed vector instead of named ones');
  const whiten = whitenedDimensionOf(info);
  if (spec.whiten !== undefined && spec.whiten !== whiten) {
    throw mismatch(
      whiten === null ? 'is not whitened' : `is whitened to ${whiten} dimensions (delete it to change its whitening)`,
    );
  }
  const sizes = vectorSizes({ ...spec, ...(whiten !== null && { whiten }) });
  const names = Object.keys(vectors).sort();
  const wanted = sizes.map(([name]) => name).sort();
  if (names.join(',') !== wanted.join(',')) throw mismatch(`has the vectors [${names.join(', ')}]`);
  for (const [name, size] of sizes) {
    const params = vectors[name] as Schemas['VectorParams'];
    if (params.size !== size) throw mismatch(`its "${name}" vectors have ${params.size} dimensions, not ${size}`);
    if (params.distance !== 'Cosine') throw mismatch(`its "${name}" vectors use ${params.distance} distance`);
  }
  const storedModel = info.config.metadata?.model_id;
  if (storedModel !== undefined && storedModel !== spec.modelId)
    throw mismatch(`was made for model "${String(storedModel)}"`);
}

/** The whitened dimension of a collection made with `whiten`, from its metadata; null when it is not whitened. */
export function whitenedDimensionOf(info: Schemas['CollectionInfo']): number | null {
  const whiten = info.config.metadata?.whiten;
  return typeof whiten === 'number' ? whiten : null;
}

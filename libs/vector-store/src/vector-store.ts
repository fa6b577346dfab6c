import type { Schemas } from '@qdrant/js-client-rest';
import { z } from 'zod';
import { DefectRagError, isDefectRagError, VECTOR_KINDS, type VectorKind } from '@defect-rag/runtime';
import {
  checkExistingCollection,
  collectionDefinition,
  collectionNameFor,
  CROP_COLLECTION_PREFIX,
  PAYLOAD_INDEXES,
  RAW_IMAGE_VECTOR,
  whitenedDimensionOf,
  type CollectionSpec,
} from './collection';
import {
  cropPayloadSchema,
  storedCropRefSchema,
  type CropPayload,
  type CropPoint,
  type StoredCropPoint,
  type StoredCropRef,
  type Vector,
} from './crop-point';
import { toQdrantFilter, type CropFilter } from './filter';
import { pointIdForCrop } from './point-id';
import { pointJson, vectorJson } from './point-json';
import { callQdrant } from './qdrant-call';
import { collectionPath, QdrantHttp, RawJson } from './qdrant-http';
import { scanAnyFilterExactly, scanFilterExactly } from './scan-rule';

export interface VectorStoreOptions {
  url: string;
  apiKey?: string;
  /** The HNSW search beam of searches that set none; DEFAULT_HNSW_EF when left out. */
  hnswEf?: number;
}

export interface UpsertOptions {
  /** Points per request; each request waits until Qdrant has applied it. */
  batchSize?: number;
  /** Requests in flight at once. */
  concurrency?: number;
}

export interface SearchOptions {
  using: VectorKind;
  filter?: CropFilter;
  limit: number;
  /** Only hits more similar than this (cosine similarity, -1…1). */
  scoreThreshold?: number;
  /** HNSW search beam; larger is more accurate and slower. The store's `hnswEf` when left out. */
  hnswEf?: number;
  /**
   * true: compare the query with every matching point; false: walk the HNSW graph. Left out, the
   * store scans exactly when the filter keeps few enough points (scan-rule.ts), else walks.
   */
  exact?: boolean;
}

export interface VectorSearch extends SearchOptions {
  vector: Vector;
}

/** Something to look for: a vector, or a stored crop whose vector Qdrant looks up itself. */
export type QueryExample = Vector | { cropId: string };

export interface ExampleSearch extends SearchOptions {
  /** More like these; at least one. */
  positive: readonly QueryExample[];
  /** Less like these. */
  negative?: readonly QueryExample[];
  /** Skip this many hits (photos, with onePerPhoto) first. */
  offset?: number;
  /** At most one hit per photo (`image_id`): its best. */
  onePerPhoto?: boolean;
  /** Leave out the crops of these photos. */
  excludeImageIds?: readonly string[];
}

export interface SearchHit {
  score: number;
  cropId: string;
  payload: CropPayload;
}

/** The payload fields that can be counted by value (the indexed ones). */
export type FacetKey = 'has_damage' | 'vehicle_zone' | 'area' | 'damage_types' | 'dataset_id' | 'split';

export interface FacetCount {
  value: string | boolean;
  count: number;
}

/** Removes points either by crop id or by everything a filter matches. */
export type PointSelector = CropFilter | { cropIds: readonly string[] };

const DEFAULT_BATCH_SIZE = 128;
const SCROLL_PAGE = 1_000;
/** More distinct values than any facet key should have; the API returns the most frequent first. */
const FACET_LIMIT = 1_000;
/**
 * Applies to int8-quantized collections only (Qdrant ignores it elsewhere): pre-select twice the
 * limit with the quantized vectors, then re-rank those by the original vectors.
 */
const QUANTIZED_SEARCH = { rescore: true, oversampling: 2 };
/**
 * The HNSW search beam unless the caller sets one. On `npm run bench -- search` (100 000 crops)
 * Qdrant's default (ef_construct, 100) gave recall@10 0.98 without a filter, with single queries
 * at 0.1; 512 gave 0.999 for about a millisecond more.
 */
const DEFAULT_HNSW_EF = 512;
const COLLECTION_INFO_TTL_MS = 10_000;

/**
 * The crop index in Qdrant: one collection per (model, dimension) holding a point per crop with
 * its `fused`, `image` and `text` vectors and its payload. Every failure is a DefectRagError:
 * QDRANT_UNAVAILABLE (after retries), COLLECTION_MISMATCH, COLLECTION_NOT_FOUND, CROP_NOT_FOUND,
 * BAD_INPUT, CONFIG_INVALID.
 */
export class VectorStore {
  readonly url: string;
  private readonly http: QdrantHttp;
  private readonly hnswEf: number;
  private readonly infos = new Map<string, { info: Promise<Schemas['CollectionInfo']>; until: number }>();

  constructor({ url, apiKey, hnswEf = DEFAULT_HNSW_EF }: VectorStoreOptions) {
    if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
      throw new DefectRagError('CONFIG_INVALID', `invalid Qdrant URL "${url}": expected http(s)://host:port`, { url });
    }
    if (!(Number.isInteger(hnswEf) && hnswEf >= 1)) {
      throw new DefectRagError('CONFIG_INVALID', `HNSW search ef must be a positive integer, got ${hnswEf}`);
    }
    this.url = url;
    this.hnswEf = hnswEf;
    this.http = new QdrantHttp(url, apiKey);
  }

  /**
   * Creates the collection for `spec.modelId` / `spec.dimension` with its payload indexes, or checks
   * that the existing one fits (COLLECTION_MISMATCH otherwise) and adds missing indexes. Returns its
   * name. Safe to call from several processes at once.
   */
  async ensureCollection(spec: CollectionSpec): Promise<string> {
    checkSpec(spec);
    const name = collectionNameFor(spec.modelId, spec.dimension);
    const send = <T>(method: 'GET' | 'PUT', path: string, body?: unknown) =>
      this.send<T>(`create collection ${name}`, name, method, path, body);
    const exists = async () => (await send<{ exists: boolean }>('GET', collectionPath(name, '/exists'))).exists;
    if (!(await exists())) {
      try {
        await send('PUT', collectionPath(name), collectionDefinition(spec));
      } catch (error) {
        // Another process may have created it between our check and our request.
        if (!(await exists())) throw error;
      }
    }
    const info = await send<Schemas['CollectionInfo']>('GET', collectionPath(name));
    checkExistingCollection(name, spec, info);
    for (const [field, schema] of Object.entries(PAYLOAD_INDEXES)) {
      if (info.payload_schema[field]) continue;
      await send('PUT', collectionPath(name, '/index?wait=true'), { field_name: field, field_schema: schema });
    }
    return name;
  }

  /** The names of every crop collection (`crops_<model>_<dimension>`) on the server, of any model. */
  async cropCollections(): Promise<string[]> {
    const result = await this.send<Schemas['CollectionsResponse']>('list collections', '', 'GET', '/collections');
    return result.collections.map(({ name }) => name).filter((name) => name.startsWith(CROP_COLLECTION_PREFIX));
  }

  /** Writes the points (a crop already stored is overwritten, never duplicated); returns how many. */
  async upsert(collection: string, points: readonly CropPoint[], options: UpsertOptions = {}): Promise<number> {
    const { batchSize = DEFAULT_BATCH_SIZE, concurrency = 1 } = options;
    if (!(batchSize >= 1 && concurrency >= 1))
      throw new DefectRagError('BAD_INPUT', 'batchSize and concurrency must be at least 1');
    // A whitened collection's `image` is written by ingestion's whitening stage; the model's own goes to image_raw.
    const imageName = (await this.whitenedDimension(collection)) === null ? 'image' : RAW_IMAGE_VECTOR;
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (!failed && next < points.length) {
        const batch = points.slice(next, next + batchSize);
        next += batchSize;
        try {
          const body = new RawJson(`{"points":[${batch.map((point) => pointJson(point, imageName)).join(',')}]}`);
          await this.send(
            `upsert into ${collection}`,
            collection,
            'PUT',
            collectionPath(collection, '/points?wait=true'),
            body,
          );
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    const workers = Math.min(concurrency, Math.ceil(points.length / batchSize));
    await Promise.all(Array.from({ length: workers }, worker));
    return points.length;
  }

  /** Deletes the given crops, or every crop the filter matches (an empty filter is refused). */
  async deletePoints(collection: string, selector: PointSelector): Promise<void> {
    let body: Schemas['PointsSelector'];
    if ('cropIds' in selector) {
      if (selector.cropIds.length === 0) return;
      body = { points: selector.cropIds.map(pointIdForCrop) };
    } else {
      const filter = toQdrantFilter(selector, 'all');
      if (!filter.must)
        throw new DefectRagError(
          'BAD_INPUT',
          `refusing to delete every point of ${collection}: give a filter or crop ids`,
        );
      body = { filter };
    }
    await this.send(
      `delete from ${collection}`,
      collection,
      'POST',
      collectionPath(collection, '/points/delete?wait=true'),
      body,
    );
  }

  /** The stored crops among `cropIds`, in that order; ids not stored are left out. */
  async getPoints(
    collection: string,
    cropIds: readonly string[],
    options: { withVectors?: boolean } = {},
  ): Promise<StoredCropPoint[]> {
    if (cropIds.length === 0) return [];
    const records = await this.send<Schemas['Record'][]>(
      `read points of ${collection}`,
      collection,
      'POST',
      collectionPath(collection, '/points'),
      {
        ids: cropIds.map(pointIdForCrop),
        with_payload: true,
        with_vector: options.withVectors ?? false,
      } satisfies Schemas['PointRequest'],
    );
    const byCrop = new Map<string, StoredCropPoint>();
    for (const record of records) {
      const payload = parsePayload(collection, record.id, record.payload);
      const stored: StoredCropPoint = { cropId: payload.crop_id, payload };
      if (options.withVectors) {
        // `image` always exists; `text` and `fused` only in the collection of a model with a text tower.
        const [image, text, fused] = VECTOR_KINDS.map((name) =>
          storedVector(collection, record.id, record.vector, name, name !== 'image'),
        );
        stored.vectors = { image: image!, ...(text && { text }), ...(fused && { fused }) };
      }
      byCrop.set(stored.cropId, stored);
    }
    return cropIds.flatMap((cropId) => byCrop.get(cropId) ?? []);
  }

  /** Moves stored crops to another split (or none) without touching their vectors or the rest of their payload. */
  async setSplit(collection: string, cropIds: readonly string[], split: CropPayload['split']): Promise<void> {
    if (cropIds.length === 0) return;
    await this.send(
      `set the split of crops in ${collection}`,
      collection,
      'POST',
      collectionPath(collection, '/points/payload?wait=true'),
      {
        payload: { split },
        points: cropIds.map(pointIdForCrop),
      } satisfies Schemas['SetPayload'],
    );
  }

  /**
   * Crop id, image id, content hash and split of every stored crop the filter matches (for resume
   * and change detection), or of the first `limit` of them in point order.
   */
  async scrollPayloads(
    collection: string,
    filter: CropFilter = {},
    { limit = Infinity }: { limit?: number } = {},
  ): Promise<StoredCropRef[]> {
    const refs: StoredCropRef[] = [];
    const fields = ['crop_id', 'image_id', 'content_hash', 'split'];
    const request = { filter: toQdrantFilter(filter), with_payload: fields, with_vector: false };
    for await (const points of this.scroll(collection, request, () => limit - refs.length)) {
      for (const point of points) refs.push(parseWith(storedCropRefSchema, collection, point.id, point.payload));
    }
    return refs;
  }

  /**
   * The payload and one named vector of every point the filter matches, a page at a time in point
   * order: for work over a whole dataset's vectors without holding them all at once. `levels: 'all'`
   * takes photo points too when the filter names no level; `lacking` keeps the points without that
   * named vector.
   */
  async *scrollVectors(
    collection: string,
    filter: CropFilter,
    using: VectorKind | typeof RAW_IMAGE_VECTOR,
    options: { levels?: 'all'; lacking?: VectorKind } = {},
  ): AsyncGenerator<{ payload: CropPayload; vector: number[] }[]> {
    const qdrantFilter = toQdrantFilter(filter, options.levels ?? 'default');
    if (options.lacking !== undefined) {
      // toQdrantFilter writes `must_not` as a list (the level condition).
      const mustNot = (qdrantFilter.must_not as Schemas['Condition'][] | undefined) ?? [];
      qdrantFilter.must_not = [...mustNot, { has_vector: options.lacking }];
    }
    const request = { filter: qdrantFilter, with_payload: true, with_vector: [using] };
    for await (const points of this.scroll(collection, request, () => Infinity)) {
      yield points.map((point) => ({
        payload: parsePayload(collection, point.id, point.payload),
        vector: storedVector(collection, point.id, point.vector, using)!,
      }));
    }
  }

  /** Writes one named vector of stored points, leaving their other vectors and payload as they are. */
  async setVectors(
    collection: string,
    using: VectorKind,
    updates: readonly { cropId: string; vector: Vector }[],
  ): Promise<void> {
    for (let start = 0; start < updates.length; start += DEFAULT_BATCH_SIZE) {
      const points = updates
        .slice(start, start + DEFAULT_BATCH_SIZE)
        .map(
          ({ cropId, vector }) =>
            `{"id":"${pointIdForCrop(cropId)}","vector":{"${using}":${vectorJson(cropId, vector)}}}`,
        );
      await this.send(
        `update vectors of ${collection}`,
        collection,
        'PUT',
        collectionPath(collection, '/points/vectors?wait=true'),
        new RawJson(`{"points":[${points.join(',')}]}`),
      );
    }
  }

  /** The dimension a collection made with `whiten` whitens to; null for any other collection. */
  async whitenedDimension(collection: string): Promise<number | null> {
    return whitenedDimensionOf(await this.collectionInfo(collection));
  }

  /** Pages of the points a scroll request matches, in point order, until none is left or `left()` reaches 0. */
  private async *scroll(
    collection: string,
    request: Pick<Schemas['ScrollRequest'], 'filter' | 'with_payload' | 'with_vector'>,
    left: () => number,
  ): AsyncGenerator<Schemas['Record'][]> {
    let offset: Schemas['ExtendedPointId'] | null = null;
    do {
      const page: Schemas['ScrollResult'] = await this.send(
        `scroll ${collection}`,
        collection,
        'POST',
        collectionPath(collection, '/points/scroll'),
        { ...request, limit: Math.min(SCROLL_PAGE, left()), offset } satisfies Schemas['ScrollRequest'],
      );
      yield page.points;
      // The generated type allows an object here; Qdrant only ever returns the next point's id or null.
      offset = (page.next_page_offset as Schemas['ExtendedPointId'] | null | undefined) ?? null;
    } while (offset !== null && left() > 0);
  }

  /**
   * A page of the crops the filter matches, in point order (stable while the index does not
   * change): up to `first` crops after the crop `after` (left out itself; a crop deleted since
   * still marks the place), and whether more follow.
   */
  async browse(
    collection: string,
    filter: CropFilter,
    { first, after }: { first: number; after?: string },
  ): Promise<{ crops: CropPayload[]; hasMore: boolean }> {
    if (!(Number.isInteger(first) && first >= 1)) {
      throw new DefectRagError('BAD_INPUT', `page size must be a positive integer, got ${first}`);
    }
    const start = after === undefined ? undefined : pointIdForCrop(after);
    const page: Schemas['ScrollResult'] = await this.send(
      `browse ${collection}`,
      collection,
      'POST',
      collectionPath(collection, '/points/scroll'),
      {
        filter: toQdrantFilter(filter),
        // Scrolling from a point includes it: one more when it is the `after` crop itself.
        limit: first + (start === undefined ? 0 : 1),
        offset: start,
        with_payload: true,
        with_vector: false,
      } satisfies Schemas['ScrollRequest'],
    );
    const points = page.points.filter((point) => point.id !== start);
    return {
      crops: points.slice(0, first).map((point) => parsePayload(collection, point.id, point.payload)),
      hasMore: points.length > first || page.next_page_offset != null,
    };
  }

  /** Exact number of stored crops the filter matches. */
  async count(collection: string, filter: CropFilter = {}): Promise<number> {
    const result = await this.send<Schemas['CountResult']>(
      `count ${collection}`,
      collection,
      'POST',
      collectionPath(collection, '/points/count'),
      {
        filter: toQdrantFilter(filter),
        exact: true,
      } satisfies Schemas['CountRequest'],
    );
    return result.count;
  }

  /**
   * Exact counts of the crops the filter matches for each value of `key`, most frequent first. A
   * crop with several damage types counts once for each.
   */
  async facets(collection: string, key: FacetKey, filter: CropFilter = {}): Promise<FacetCount[]> {
    const result = await this.send<Schemas['FacetResponse']>(
      `count ${collection} by ${key}`,
      collection,
      'POST',
      collectionPath(collection, '/facet'),
      {
        key,
        filter: toQdrantFilter(filter),
        exact: true,
        limit: FACET_LIMIT,
      } satisfies Schemas['FacetRequest'],
    );
    return result.hits.map((hit) => ({ value: hit.value as string | boolean, count: hit.count }));
  }

  /** The crops nearest to `vector` in the chosen vector space, best first. */
  async search(collection: string, search: VectorSearch): Promise<SearchHit[]> {
    return this.searchExamples(collection, { ...search, positive: [search.vector] });
  }

  /** The crops nearest to a stored crop, by its own vector; never the crop itself. CROP_NOT_FOUND when it is not stored. */
  async searchByCrop(collection: string, cropId: string, options: SearchOptions): Promise<SearchHit[]> {
    return this.searchExamples(collection, { ...options, positive: [{ cropId }] });
  }

  /**
   * The crops most like the positive examples and least like the negative ones, best first. One
   * positive example alone is a plain nearest-neighbour search (the score is the cosine to it);
   * more, or any negative, is Qdrant's recommend with the `average_vector` strategy (the score is
   * the cosine to 2·mean(positives) − mean(negatives)). Stored crops given as examples are never
   * returned. One request: Qdrant looks the examples' vectors up itself; only when it answers 404
   * do two more (does the collection exist? which crops are missing?) name what is missing:
   * CROP_NOT_FOUND with the crop ids.
   */
  async searchExamples(collection: string, search: ExampleSearch): Promise<SearchHit[]> {
    const { positive, negative = [], offset = 0, onePerPhoto = false, excludeImageIds = [] } = search;
    if (!(Number.isInteger(search.limit) && search.limit >= 1)) {
      throw new DefectRagError('BAD_INPUT', `search limit must be a positive integer, got ${search.limit}`);
    }
    if (!(Number.isInteger(offset) && offset >= 0)) {
      throw new DefectRagError('BAD_INPUT', `search offset must be a non-negative integer, got ${offset}`);
    }
    if (positive.length === 0) throw new DefectRagError('BAD_INPUT', 'a search needs at least one positive example');
    const cropIds = [...positive, ...negative].flatMap((example) => ('cropId' in example ? [example.cropId] : []));
    const input = (example: QueryExample): Schemas['VectorInput'] =>
      'cropId' in example ? pointIdForCrop(example.cropId) : Array.from(example);
    const query: Schemas['QueryInterface'] =
      positive.length === 1 && negative.length === 0
        ? input(positive[0]!)
        : { recommend: { positive: positive.map(input), negative: negative.map(input), strategy: 'average_vector' } };
    const filter = toQdrantFilter(search.filter ?? {});
    // toQdrantFilter writes `must_not` as a list (the level condition).
    const mustNot = [...((filter.must_not as Schemas['Condition'][] | undefined) ?? [])];
    if (cropIds.length > 0) mustNot.push({ has_id: cropIds.map(pointIdForCrop) });
    if (excludeImageIds.length > 0) mustNot.push({ key: 'image_id', match: { any: [...excludeImageIds] } });
    const request = {
      query,
      using: search.using,
      filter: mustNot.length > 0 ? { ...filter, must_not: mustNot } : filter,
      score_threshold: search.scoreThreshold,
      params: {
        hnsw_ef: search.hnswEf ?? this.hnswEf,
        exact: search.exact ?? (await this.scanExactly(collection, search)),
        quantization: QUANTIZED_SEARCH,
      },
      with_payload: true,
    } satisfies Schemas['QueryRequest'];
    const what =
      cropIds.length === 1 && negative.length === 0 && positive.length === 1
        ? `search ${collection} by crop "${cropIds[0]}"`
        : `search ${collection}`;
    let points: Schemas['ScoredPoint'][];
    try {
      points = onePerPhoto
        ? (
            await this.send<Schemas['GroupsResult']>(
              what,
              collection,
              'POST',
              collectionPath(collection, '/points/query/groups'),
              {
                ...request,
                // The photo id; Qdrant returns the groups in the order of their best hit.
                group_by: 'image_id',
                group_size: 1,
                limit: offset + search.limit,
              } satisfies Schemas['QueryGroupsRequest'],
            )
          ).groups
            .slice(offset)
            .flatMap((group) => group.hits.slice(0, 1))
        : (
            await this.send<Schemas['QueryResponse']>(
              what,
              collection,
              'POST',
              collectionPath(collection, '/points/query'),
              { ...request, limit: search.limit, offset } satisfies Schemas['QueryRequest'],
            )
          ).points;
    } catch (error) {
      if (cropIds.length > 0 && isDefectRagError(error, 'COLLECTION_NOT_FOUND')) {
        throw await this.missingCrops(collection, cropIds, what, error);
      }
      throw error;
    }
    return points.map((point) => {
      const payload = parsePayload(collection, point.id, point.payload);
      return { score: point.score, cropId: payload.crop_id, payload };
    });
  }

  /** CROP_NOT_FOUND naming the example crops that are not stored, or `error` when the collection itself is missing. */
  private async missingCrops(collection: string, cropIds: string[], what: string, error: unknown): Promise<unknown> {
    const path = collectionPath(collection, '/exists');
    if (!(await this.send<{ exists: boolean }>(what, collection, 'GET', path)).exists) return error;
    const stored = new Set((await this.getPoints(collection, cropIds)).map((point) => point.cropId));
    const missing = [...new Set(cropIds.filter((cropId) => !stored.has(cropId)))];
    return new DefectRagError(
      'CROP_NOT_FOUND',
      `${what}: ${missing.length === 1 ? 'the crop' : 'the crops'} ${missing.map((id) => `"${id}"`).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not in ${collection}`,
      { collection, cropIds: missing },
    );
  }

  /**
   * Whether a search should scan its matching points rather than walk the graph: only filtered
   * searches (the caller's filter, not searchByCrop's exclusion of one point), and only when the
   * points the filter keeps are few enough (scan-rule.ts). A collection that small as a whole needs
   * no estimate, which saves a request per search on most indexes.
   */
  private async scanExactly(collection: string, options: SearchOptions): Promise<boolean> {
    // Crops alone (the default level) are nearly the whole collection: that is no filter to scan by.
    const filter = toQdrantFilter(options.filter ?? {});
    if (!filter.must) return false;
    const { points, dimension } = await this.collectionSize(collection, options.using);
    if (scanAnyFilterExactly({ points, dimension })) return true;
    const result = await this.send<Schemas['CountResult']>(
      `count ${collection}`,
      collection,
      'POST',
      collectionPath(collection, '/points/count'),
      {
        filter,
        exact: false,
      } satisfies Schemas['CountRequest'],
    );
    return scanFilterExactly({ matching: result.count, points, dimension });
  }

  /** Points and dimension of a collection's named vector (see `collectionInfo`). */
  private async collectionSize(collection: string, using: VectorKind): Promise<{ points: number; dimension: number }> {
    const info = await this.collectionInfo(collection);
    const vectors = info.config.params.vectors as Record<string, { size?: number }> | undefined;
    const dimension = vectors?.[using]?.size;
    if (dimension === undefined) {
      throw new DefectRagError('COLLECTION_MISMATCH', `collection ${collection} has no dense "${using}" vector`, {
        collection,
      });
    }
    return { points: info.points_count ?? 0, dimension };
  }

  /**
   * A collection's description, read at most every COLLECTION_INFO_TTL_MS: a size a few seconds old
   * only decides between two correct ways of searching, and its vectors and metadata never change.
   */
  private collectionInfo(collection: string): Promise<Schemas['CollectionInfo']> {
    const cached = this.infos.get(collection);
    if (cached && cached.until > Date.now()) return cached.info;
    const info = this.send<Schemas['CollectionInfo']>(
      `read ${collection}`,
      collection,
      'GET',
      collectionPath(collection),
    );
    this.infos.set(collection, { info, until: Date.now() + COLLECTION_INFO_TTL_MS });
    info.catch(() => this.infos.delete(collection));
    return info;
  }

  /** One request through the retry and error translation of `callQdrant`. */
  private send<T>(
    what: string,
    collection: string,
    method: 'GET' | 'PUT' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<T> {
    return callQdrant({ url: this.url, what, collection }, () => this.http.request<T>(method, path, body));
  }
}

function checkSpec(spec: CollectionSpec): void {
  const positiveInt = (value: number) => Number.isInteger(value) && value >= 1;
  const problems = [
    spec.modelId.trim() === '' && 'modelId is empty',
    !positiveInt(spec.dimension) && `dimension must be a positive integer, got ${spec.dimension}`,
    ...Object.entries(spec.dimensions ?? {}).map(
      ([name, size]) => !positiveInt(size) && `the ${name} dimension must be a positive integer, got ${size}`,
    ),
    spec.whiten !== undefined &&
      !(positiveInt(spec.whiten) && spec.whiten <= (spec.dimensions?.image ?? spec.dimension)) &&
      `whiten must be a positive integer no larger than the image dimension, got ${spec.whiten}`,
    spec.whiten !== undefined &&
      (spec.vectors ?? VECTOR_KINDS).some((name) => name !== 'image') &&
      "whitening is for image-only models: it would move the image vectors out of the text vectors' space",
    spec.hnsw &&
      !(positiveInt(spec.hnsw.m) && positiveInt(spec.hnsw.efConstruct)) &&
      'hnsw m and efConstruct must be positive integers',
    spec.sharding &&
      !(positiveInt(spec.sharding.shards) && positiveInt(spec.sharding.replicationFactor)) &&
      'shards and replicationFactor must be positive integers',
  ].filter((problem): problem is string => typeof problem === 'string');
  if (problems.length > 0) throw new DefectRagError('BAD_INPUT', `invalid collection spec: ${problems.join('; ')}`);
}

function parseWith<S extends z.ZodType>(
  schema: S,
  collection: string,
  id: Schemas['ExtendedPointId'],
  payload: unknown,
): z.output<S> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new DefectRagError(
      'COLLECTION_MISMATCH',
      `point ${id} of ${collection} has a payload this version cannot read: ${z.prettifyError(parsed.error)}`,
      { collection, pointId: id },
    );
  }
  return parsed.data;
}

function parsePayload(collection: string, id: Schemas['ExtendedPointId'], payload: unknown): CropPayload {
  return parseWith(cropPayloadSchema, collection, id, payload);
}

/** One named vector of a point as Qdrant returned it. */
function storedVector(
  collection: string,
  id: Schemas['ExtendedPointId'],
  vectors: unknown,
  name: string,
  optional = false,
): number[] | undefined {
  const vector = (vectors as Record<string, unknown> | null | undefined)?.[name];
  if (vector === undefined && optional) return undefined;
  if (!Array.isArray(vector)) {
    throw new DefectRagError('COLLECTION_MISMATCH', `point ${id} of ${collection} has no dense "${name}" vector`, {
      collection,
      pointId: id,
    });
  }
  return vector as number[];
}

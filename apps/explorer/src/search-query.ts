import type { CropFilter, Level, RegionBox, SearchMode, SimilarityQuery } from './queries';

/**
 * What to look for: a text, an uploaded image or a crop of the index. An image may be narrowed to
 * a region of it (source pixels) and joined by a text (a hybrid query, `alpha` its image weight;
 * null: the index's own fusion).
 */
export type QuerySource =
  | { kind: 'text'; text: string }
  | { kind: 'image'; file: File; preview: string; region: RegionBox | null; text: string; alpha: number | null }
  | { kind: 'crop'; id: string };
export type ImageSource = Extract<QuerySource, { kind: 'image' }>;

/** `unlabelled`: the windows of photos nobody has labelled (filter `labelled: false`), damage unknown. */
type DamageChoice = 'any' | 'damaged' | 'clean' | 'unlabelled';

export interface SearchSettings {
  damage: DamageChoice;
  zones: string[];
  damageTypes: string[];
  datasetId: string;
  split: string;
  mode: SearchMode;
  /** Crops, or whole photos with their defects drawn. */
  level: Level;
  /** Empty: the API's default model. */
  model: string;
  limit: number;
  /** Empty: no minimum. */
  minScore: string;
  /** At most one crop per photo. */
  onePerPhoto: boolean;
}

export const DEFAULT_SETTINGS: SearchSettings = {
  damage: 'any',
  zones: [],
  damageTypes: [],
  datasetId: '',
  split: '',
  mode: 'FUSED',
  level: 'CROP',
  model: '',
  limit: 12,
  minScore: '',
  onePerPhoto: false,
};

/** The API's CropFilter for the form's settings; empty fields are left out, not sent empty. */
export function cropFilter(settings: SearchSettings): CropFilter {
  const filter: CropFilter = {};
  if (settings.damage === 'unlabelled') filter.labelled = false;
  else if (settings.damage !== 'any') filter.hasDamage = settings.damage === 'damaged';
  if (settings.zones.length > 0) filter.zones = settings.zones;
  if (settings.damageTypes.length > 0) filter.damageTypes = settings.damageTypes;
  if (settings.datasetId) filter.datasetId = settings.datasetId;
  if (settings.split) filter.split = settings.split;
  return filter;
}

/** The API's SimilarityQuery for the form's settings. */
export function toSimilarityQuery(source: QuerySource, settings: SearchSettings): SimilarityQuery {
  const filter = cropFilter(settings);
  const minScore = settings.minScore.trim() === '' ? undefined : Number(settings.minScore);
  return {
    ...(source.kind === 'text'
      ? { text: source.text }
      : source.kind === 'crop'
        ? { cropId: source.id }
        : imageQuery(source)),
    ...(Object.keys(filter).length > 0 ? { filter } : {}),
    mode: settings.mode,
    ...(settings.level === 'PHOTO' ? { level: settings.level } : {}),
    ...(settings.model ? { model: settings.model } : {}),
    limit: settings.limit,
    ...(minScore !== undefined && Number.isFinite(minScore) ? { minScore } : {}),
    ...(settings.onePerPhoto ? { onePerPhoto: true } : {}),
  };
}

/** The image variable stays null: the file goes in the multipart request. */
function imageQuery(source: ImageSource): SimilarityQuery {
  const text = source.text.trim();
  return {
    image: null,
    ...(source.region ? { region: { box: source.region } } : {}),
    ...(text ? { text, ...(source.alpha !== null ? { alpha: source.alpha } : {}) } : {}),
  };
}

/** What identifies a query for the request cache: an image by its preview, not its bytes. */
export function sourceKey(source: QuerySource): string {
  if (source.kind === 'image') return `image:${source.preview}`;
  return source.kind === 'text' ? `text:${source.text}` : `crop:${source.id}`;
}

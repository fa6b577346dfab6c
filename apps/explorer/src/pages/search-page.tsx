import { useEffect, useRef, useState } from 'preact/hooks';
import { graphql, graphqlUpload } from '../api';
import { CropBrowser } from '../components/crop-browser';
import { ErrorBox } from '../components/error-box';
import { PhotoGrid } from '../components/photo-grid';
import { FeedbackButtons, RefinementChips } from '../components/refinement-controls';
import { RegionPicker } from '../components/region-picker';
import { ResultGrid } from '../components/result-grid';
import {
  SEARCH,
  SEARCH_OPTIONS,
  type CropFilter,
  type Level,
  type RegionBox,
  type SearchData,
  type SearchMode,
  type SearchOptionsData,
  type SimilarityQuery,
  type ValueCount,
} from '../queries';
import {
  excludePhoto,
  giveFeedback,
  hasNextPage,
  NO_REFINEMENTS,
  refineQuery,
  withdrawFeedback,
  type Refinements,
} from '../refinements';
import { href } from '../router';
import { useRequest } from '../use-request';
import { zonesAsTree } from '../zones';

/**
 * What to look for: a text, an uploaded image or a crop of the index. An image may be narrowed to
 * a region of it (source pixels) and joined by a text (a hybrid query, `alpha` its image weight;
 * null: the index's own fusion).
 */
export type QuerySource =
  | { kind: 'text'; text: string }
  | { kind: 'image'; file: File; preview: string; region: RegionBox | null; text: string; alpha: number | null }
  | { kind: 'crop'; id: string };
type ImageSource = Extract<QuerySource, { kind: 'image' }>;

type DamageChoice = 'any' | 'damaged' | 'clean';

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
const MODES: { value: SearchMode; label: string; hint: string }[] = [
  { value: 'FUSED', label: 'Fused', hint: 'image + text vectors' },
  { value: 'IMAGE', label: 'Image', hint: 'image vectors' },
  { value: 'TEXT', label: 'Text', hint: 'description vectors' },
];
const LEVELS: { value: Level; label: string; hint: string }[] = [
  { value: 'CROP', label: 'Crops', hint: 'crops around defects and of clean bodywork' },
  {
    value: 'PHOTO',
    label: 'Photos',
    hint: 'whole photos, with their defects drawn; a dropped image is taken as a whole photo',
  },
];
const ACCEPTED_IMAGES = 'image/jpeg,image/png,image/webp';

/** The API's CropFilter for the form's settings; empty fields are left out, not sent empty. */
function cropFilter(settings: SearchSettings): CropFilter {
  const filter: CropFilter = {};
  if (settings.damage !== 'any') filter.hasDamage = settings.damage === 'damaged';
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

export function SearchPage({ similarTo }: { similarTo: string | null }) {
  const [text, setText] = useState('');
  const [source, setSource] = useState<QuerySource | null>(null);
  const [settings, setSettings] = useState<SearchSettings>(DEFAULT_SETTINGS);
  const [refinements, setRefinements] = useState<Refinements>(NO_REFINEMENTS);
  // A new query starts without the feedback, excluded photos and page of the last one.
  const startQuery = (next: QuerySource | null) => {
    setSource(next);
    setRefinements(NO_REFINEMENTS);
  };
  /** Changes the uploaded image's region, text or alpha: the same query, narrowed; back to the first page. */
  const changeImage = (changes: Partial<ImageSource>) => {
    setSource((previous) => (previous?.kind === 'image' ? { ...previous, ...changes } : previous));
    setRefinements((previous) => ({ ...previous, offset: 0 }));
  };
  // Pressing Search again with the same query asks again (the index may have changed).
  const [attempt, setAttempt] = useState(0);
  const options = useRequest<SearchOptionsData>('options', (signal) => graphql(SEARCH_OPTIONS, {}, signal));

  useEffect(() => {
    if (similarTo) startQuery({ kind: 'crop', id: similarTo });
  }, [similarTo]);

  // An uploaded image's preview lives as long as it is the query (its region, text and α may change).
  const preview = source?.kind === 'image' ? source.preview : null;
  useEffect(() => (preview ? () => URL.revokeObjectURL(preview) : undefined), [preview]);

  const query = source ? refineQuery(toSimilarityQuery(source, settings), refinements) : null;
  const photos = settings.level === 'PHOTO';
  const key = source && query ? JSON.stringify([sourceKey(source), query, attempt]) : null;
  const results = useRequest<SearchData>(key, (signal) => {
    if (!source || !query) throw new Error('no query');
    return source.kind === 'image'
      ? graphqlUpload(SEARCH, { query, photos }, 'query.image', source.file, signal)
      : graphql(SEARCH, { query, photos }, signal);
  });

  const leaveSimilarRoute = () => {
    if (similarTo) location.hash = href({ page: 'search', similarTo: null });
  };
  const searchText = (event: Event) => {
    event.preventDefault();
    const trimmed = text.trim();
    if (!trimmed) return;
    leaveSimilarRoute();
    startQuery({ kind: 'text', text: trimmed });
    setAttempt((value) => value + 1);
  };
  const searchImage = (file: File) => {
    leaveSimilarRoute();
    startQuery({ kind: 'image', file, preview: URL.createObjectURL(file), region: null, text: '', alpha: null });
  };
  const update = (changes: Partial<SearchSettings>) => {
    setSettings((previous) => ({ ...previous, ...changes }));
    setRefinements((previous) => ({ ...previous, offset: 0 }));
  };
  const models = options.data?.models ?? [];
  const model = models.find((candidate) => candidate.id === settings.model) ?? models.find((m) => m.isDefault);
  // Offer only what the chosen model answers: an image-only model has no text search and no TEXT or FUSED mode.
  const modes = model?.modes ?? MODES.map((mode) => mode.value);
  const textAvailable = modes.includes('TEXT');
  const textModel = models.find((candidate) => candidate.modes.includes('TEXT'));
  useEffect(() => {
    if (!modes.includes(settings.mode)) update({ mode: modes.includes('FUSED') ? 'FUSED' : modes[0]! });
    if (!textAvailable && source?.kind === 'text') startQuery(null);
    if (!textAvailable && source?.kind === 'image' && source.text) changeImage({ text: '', alpha: null });
  }, [modes.join(), settings.mode]);

  const stats = options.data?.indexStats;
  return (
    <div class="search-layout">
      <section class="search-panel" aria-labelledby="search-heading">
        <h1 id="search-heading">Find similar defects</h1>
        {models.length > 1 && (
          <label class="model-choice">
            Model
            <select
              value={model?.id ?? ''}
              onChange={(event) => update({ model: event.currentTarget.value })}
              data-testid="model-choice"
            >
              {models.map((candidate) => (
                <option key={candidate.id} value={candidate.id}>
                  {candidate.id}
                  {candidate.modes.includes('TEXT') ? '' : ' (images only)'}
                  {candidate.randomWeights ? ' (random test weights)' : ''}
                </option>
              ))}
            </select>
          </label>
        )}
        <ImageDrop onImage={searchImage} current={source?.kind === 'image' ? source : null} />
        {source?.kind === 'image' && (
          <UploadedImage key={source.preview} source={source} textAvailable={textAvailable} onChange={changeImage} />
        )}
        <form class="text-query" role="search" onSubmit={searchText}>
          <label for="query-text">Describe a defect</label>
          <div class="input-row">
            <input
              id="query-text"
              type="search"
              value={text}
              placeholder={textAvailable ? 'deep scratch on the rear bumper' : 'this model has no text tower'}
              onInput={(event) => setText(event.currentTarget.value)}
              maxLength={1000}
              disabled={!textAvailable}
            />
            <button type="submit" disabled={!textAvailable || !text.trim()}>
              Search
            </button>
          </div>
          {!textAvailable && (
            <p class="muted small" data-testid="no-text-tower">
              {model?.id} compares images only: search by an image or a crop
              {textModel ? (
                <>
                  , or describe a defect with {textModel.id}
                  {textModel.randomWeights ? ' (random test weights)' : ''}.{' '}
                  <button
                    type="button"
                    class="link-button"
                    onClick={() => update({ model: textModel.id })}
                    data-testid="switch-to-text-model"
                  >
                    Switch to {textModel.id}
                  </button>
                </>
              ) : (
                '; no served model has a text tower.'
              )}
            </p>
          )}
        </form>
        {options.error && <ErrorBox error={options.error} context="Filter options could not be loaded" />}
        <Filters settings={settings} update={update} options={options.data} modes={modes} />
      </section>

      <section class="results" aria-labelledby="results-heading" aria-busy={results.loading}>
        <div class="results-header">
          <h2 id="results-heading">Results</h2>
          <QuerySummary source={source} onClear={() => (leaveSimilarRoute(), startQuery(null))} />
        </div>
        <RefinementChips
          refinements={refinements}
          onWithdraw={(cropId) => setRefinements((previous) => withdrawFeedback(previous, cropId))}
          onIncludePhoto={(photoId) => setRefinements((previous) => excludePhoto(previous, photoId, false))}
        />
        {stats && (
          <p class="muted">
            The index holds {stats.points} crops ({stats.damaged} damaged, {stats.clean} clean).
          </p>
        )}
        {results.loading && (
          <p class="loading" role="status">
            Searching…
          </p>
        )}
        {results.error && <ErrorBox error={results.error} context="Search failed" />}
        {!source && <CropBrowser filter={cropFilter(settings)} />}
        {results.data &&
          !results.error &&
          (results.data.searchSimilar.length === 0 ? (
            <p class="empty" role="status">
              No crops match this query and these filters.
            </p>
          ) : (
            <>
              <p class="muted" role="status">
                {refinements.offset > 0
                  ? `Results ${refinements.offset + 1}–${refinements.offset + results.data.searchSimilar.length}`
                  : `${results.data.searchSimilar.length} crops`}
                {settings.onePerPhoto ? ' (one per photo)' : ''}, most similar first.
              </p>
              {photos ? (
                <PhotoGrid results={results.data.searchSimilar} label="Search results" />
              ) : (
                <ResultGrid
                  results={results.data.searchSimilar}
                  label="Search results"
                  actions={(crop) => (
                    <FeedbackButtons
                      crop={crop}
                      onFeedback={(cropId, feedback) =>
                        setRefinements((previous) => giveFeedback(previous, cropId, feedback))
                      }
                      onExcludePhoto={(photoId) => setRefinements((previous) => excludePhoto(previous, photoId))}
                    />
                  )}
                />
              )}
              <Pager
                offset={refinements.offset}
                limit={settings.limit}
                shown={results.data.searchSimilar.length}
                onOffset={(offset) => setRefinements((previous) => ({ ...previous, offset }))}
              />
            </>
          ))}
      </section>
    </div>
  );
}

/** Previous and next page, within the API's cap on offset + limit. */
function Pager(props: { offset: number; limit: number; shown: number; onOffset: (offset: number) => void }) {
  const { offset, limit, shown, onOffset } = props;
  const next = hasNextPage(offset, limit, shown);
  if (offset === 0 && !next) return null;
  return (
    <nav class="pager" aria-label="Result pages">
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        Previous page
      </button>
      <button type="button" disabled={!next} onClick={() => onOffset(offset + limit)} data-testid="next-page">
        Next page
      </button>
    </nav>
  );
}

/**
 * The uploaded photo, to draw a region on, and a description that makes the query hybrid, with
 * the image's weight once both are given.
 */
function UploadedImage({
  source,
  textAvailable,
  onChange,
}: {
  source: ImageSource;
  textAvailable: boolean;
  onChange: (changes: Partial<ImageSource>) => void;
}) {
  const [draft, setDraft] = useState(source.text);
  const alpha = source.alpha ?? 0.5;
  return (
    <div class="uploaded-image">
      <RegionPicker
        preview={source.preview}
        name={source.file.name}
        region={source.region}
        onRegion={(region) => onChange({ region })}
      />
      {textAvailable && (
        <form
          class="hybrid-text"
          onSubmit={(event) => {
            event.preventDefault();
            onChange({ text: draft.trim() });
          }}
        >
          <label for="hybrid-text">And a description (optional, a hybrid query)</label>
          <div class="input-row">
            <input
              id="hybrid-text"
              type="text"
              value={draft}
              maxLength={1000}
              placeholder="dent near the handle"
              onInput={(event) => setDraft(event.currentTarget.value)}
            />
            <button type="submit">Apply</button>
          </div>
        </form>
      )}
      {source.text && (
        <label class="alpha">
          <span>Image weight α: {source.alpha === null ? "the index's fusion" : alpha.toFixed(2)}</span>
          <input
            type="range"
            min={0}
            max={1}
            step={0.05}
            value={alpha}
            onChange={(event) => onChange({ alpha: event.currentTarget.valueAsNumber })}
            data-testid="alpha"
          />
        </label>
      )}
    </div>
  );
}

function sourceKey(source: QuerySource): string {
  if (source.kind === 'image') return `image:${source.preview}`;
  return source.kind === 'text' ? `text:${source.text}` : `crop:${source.id}`;
}

function QuerySummary({ source, onClear }: { source: QuerySource | null; onClear: () => void }) {
  if (!source) return null;
  return (
    <p class="query-summary" data-testid="query-summary">
      {source.kind === 'text' && <>Text: “{source.text}”</>}
      {source.kind === 'image' && (
        <>
          Image: {source.file.name}
          {source.region && ' (a region)'}
          {source.text && <> with “{source.text}”</>}
        </>
      )}
      {source.kind === 'crop' && (
        <>
          Similar to crop <a href={href({ page: 'crop', id: source.id })}>{source.id}</a>
        </>
      )}{' '}
      <button type="button" class="link-button" onClick={onClear}>
        Clear
      </button>
    </p>
  );
}

/** A file picker that also takes a dropped image; the picker is a real (visually hidden) input, so keyboards reach it. */
function ImageDrop({
  onImage,
  current,
}: {
  onImage: (file: File) => void;
  current: { file: File; preview: string } | null;
}) {
  const [dragging, setDragging] = useState(false);
  const [refused, setRefused] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const take = (file: File | undefined) => {
    if (!file) return;
    if (!ACCEPTED_IMAGES.split(',').includes(file.type)) {
      setRefused(`${file.name} is not a JPEG, PNG or WebP image`);
      return;
    }
    setRefused(null);
    onImage(file);
  };
  return (
    <div
      class={dragging ? 'image-drop dragging' : 'image-drop'}
      onDragOver={(event) => (event.preventDefault(), setDragging(true))}
      onDragLeave={() => setDragging(false)}
      onDrop={(event) => {
        event.preventDefault();
        setDragging(false);
        take(event.dataTransfer?.files[0]);
      }}
    >
      <label for="query-image">
        <input
          id="query-image"
          ref={input}
          class="visually-hidden"
          type="file"
          accept={ACCEPTED_IMAGES}
          onChange={(event) => {
            take(event.currentTarget.files?.[0]);
            // The same file picked again is a new query too.
            event.currentTarget.value = '';
          }}
        />
        {current ? (
          <img class="drop-preview" src={current.preview} alt="" />
        ) : (
          <span class="drop-icon" aria-hidden="true">
            ⤓
          </span>
        )}
        <span>
          <strong>Drop an image</strong> or <span class="like-link">choose a file</span>
          <span class="muted small"> JPEG, PNG or WebP</span>
        </span>
      </label>
      {refused && (
        <p class="field-error" role="alert">
          {refused}
        </p>
      )}
    </div>
  );
}

function Filters({
  settings,
  update,
  options,
  modes,
}: {
  settings: SearchSettings;
  update: (changes: Partial<SearchSettings>) => void;
  options: SearchOptionsData | null;
  /** The modes the chosen model answers. */
  modes: readonly SearchMode[];
}) {
  const zoneCounts = counts(options?.indexStats.byZone);
  const typeCounts = counts(options?.indexStats.byDamageType);
  const toggle = (list: string[], id: string, on: boolean) => (on ? [...list, id] : list.filter((item) => item !== id));
  return (
    <div class="filters">
      <fieldset class="segmented">
        <legend>Damage</legend>
        {(['any', 'damaged', 'clean'] as const).map((choice) => (
          <label key={choice}>
            <input
              type="radio"
              name="damage"
              value={choice}
              checked={settings.damage === choice}
              onChange={() => update({ damage: choice })}
            />
            <span>{choice === 'any' ? 'Any' : choice === 'damaged' ? 'Damaged' : 'Clean'}</span>
          </label>
        ))}
      </fieldset>

      <fieldset class="segmented">
        <legend>Find</legend>
        {LEVELS.map((level) => (
          <label key={level.value} title={level.hint}>
            <input
              type="radio"
              name="level"
              value={level.value}
              checked={settings.level === level.value}
              onChange={() => update({ level: level.value })}
              data-testid={`level-${level.value.toLowerCase()}`}
            />
            <span>{level.label}</span>
          </label>
        ))}
      </fieldset>

      <fieldset class="segmented">
        <legend>Mode</legend>
        {MODES.filter((mode) => modes.includes(mode.value)).map((mode) => (
          <label key={mode.value} title={mode.hint}>
            <input
              type="radio"
              name="mode"
              value={mode.value}
              checked={settings.mode === mode.value}
              onChange={() => update({ mode: mode.value })}
            />
            <span>{mode.label}</span>
          </label>
        ))}
      </fieldset>

      <div class="field-row">
        <label>
          Limit
          <input
            type="number"
            min={1}
            max={100}
            step={1}
            value={settings.limit}
            onChange={(event) => update({ limit: clampLimit(event.currentTarget.valueAsNumber) })}
          />
        </label>
        <label>
          Min score
          <input
            type="number"
            min={-1}
            max={1}
            step={0.05}
            value={settings.minScore}
            placeholder="none"
            onChange={(event) => update({ minScore: event.currentTarget.value })}
          />
        </label>
      </div>

      <label class="checkbox-line">
        <input
          type="checkbox"
          checked={settings.onePerPhoto}
          onChange={(event) => update({ onePerPhoto: event.currentTarget.checked })}
        />
        <span>One per photo</span>
      </label>

      <div class="field-row">
        <label>
          Dataset
          <select value={settings.datasetId} onChange={(event) => update({ datasetId: event.currentTarget.value })}>
            <option value="">All datasets</option>
            {options?.datasets.edges.map(({ node }) => (
              <option key={node.id} value={node.id}>
                {node.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Split
          <select value={settings.split} onChange={(event) => update({ split: event.currentTarget.value })}>
            <option value="">Any</option>
            <option value="train">train</option>
            <option value="test">test</option>
          </select>
        </label>
      </div>

      {options && (
        <>
          <CheckboxGroup
            legend="Zones"
            entries={zonesAsTree(options.taxonomy.zones)}
            counts={zoneCounts}
            selected={settings.zones}
            onToggle={(id, on) => update({ zones: toggle(settings.zones, id, on) })}
          />
          <CheckboxGroup
            legend="Damage types"
            entries={options.taxonomy.damageTypes}
            counts={typeCounts}
            selected={settings.damageTypes}
            onToggle={(id, on) => update({ damageTypes: toggle(settings.damageTypes, id, on) })}
          />
        </>
      )}
      <button type="button" class="link-button" onClick={() => update(DEFAULT_SETTINGS)}>
        Reset filters
      </button>
    </div>
  );
}

function CheckboxGroup(props: {
  legend: string;
  /** `depth` indents an entry under its parent (zones; a parent's count includes its children's). */
  entries: { id: string; name: string; depth?: number }[];
  counts: Map<string, number>;
  selected: string[];
  onToggle: (id: string, on: boolean) => void;
}) {
  return (
    <fieldset class="checkbox-group">
      <legend>{props.legend}</legend>
      {props.entries.map((entry) => (
        <label
          key={entry.id}
          class={props.counts.has(entry.id) ? undefined : 'muted'}
          style={entry.depth ? { paddingLeft: `${entry.depth * 1.25}rem` } : undefined}
        >
          <input
            type="checkbox"
            value={entry.id}
            checked={props.selected.includes(entry.id)}
            onChange={(event) => props.onToggle(entry.id, event.currentTarget.checked)}
          />
          <span>{entry.name}</span>
          <span class="count">{props.counts.get(entry.id) ?? 0}</span>
        </label>
      ))}
    </fieldset>
  );
}

function counts(values: ValueCount[] | undefined): Map<string, number> {
  return new Map((values ?? []).map(({ value, count }) => [value, count]));
}

function clampLimit(value: number): number {
  return Number.isFinite(value) ? Math.min(100, Math.max(1, Math.round(value))) : DEFAULT_SETTINGS.limit;
}

import { useEffect, useState } from 'preact/hooks';
import { graphql, graphqlUpload } from '../api';
import { CropBrowser } from '../components/crop-browser';
import { ErrorBox } from '../components/error-box';
import { ImageDrop, UploadedImage } from '../components/image-query';
import { RefinementChips } from '../components/refinement-controls';
import { Filters, MODES } from '../components/search-filters';
import { QuerySummary, SearchResults } from '../components/search-results';
import { ModelChoice, TextQueryForm } from '../components/text-query-form';
import { SEARCH, SEARCH_OPTIONS, type SearchData, type SearchOptionsData } from '../queries';
import { excludePhoto, NO_REFINEMENTS, refineQuery, withdrawFeedback, type Refinements } from '../refinements';
import { href } from '../router';
import {
  cropFilter,
  DEFAULT_SETTINGS,
  sourceKey,
  toSimilarityQuery,
  type ImageSource,
  type QuerySource,
  type SearchSettings,
} from '../search-query';
import { useRequest } from '../use-request';

/** The search page's state (query, settings, refinements, requests) in one place; the parts only draw it. */
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
  // Offer only the modes the chosen model answers: an image-only model has IMAGE alone (it answers
  // text in image space, by label prototypes).
  const modes = model?.modes ?? MODES.map((mode) => mode.value);
  const textModel = models.find((candidate) => candidate.modes.includes('TEXT'));
  useEffect(() => {
    if (!modes.includes(settings.mode)) update({ mode: modes.includes('FUSED') ? 'FUSED' : modes[0]! });
  }, [modes.join(), settings.mode]);

  const stats = options.data?.indexStats;
  return (
    <div class="search-layout">
      <section class="search-panel" aria-labelledby="search-heading">
        <h1 id="search-heading">Find similar defects</h1>
        <ModelChoice models={models} model={model} onModel={(id) => update({ model: id })} />
        <ImageDrop onImage={searchImage} current={source?.kind === 'image' ? source : null} />
        {source?.kind === 'image' && <UploadedImage key={source.preview} source={source} onChange={changeImage} />}
        <TextQueryForm
          text={text}
          onText={setText}
          onSubmit={searchText}
          model={model}
          textModel={textModel}
          onModel={(id) => update({ model: id })}
        />
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
        {results.data && !results.error && (
          <SearchResults
            data={results.data}
            photos={photos}
            refinements={refinements}
            limit={settings.limit}
            onePerPhoto={settings.onePerPhoto}
            onRefine={setRefinements}
          />
        )}
      </section>
    </div>
  );
}

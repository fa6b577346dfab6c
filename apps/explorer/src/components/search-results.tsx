import { excludePhoto, giveFeedback, hasNextPage, type Refinements } from '../refinements';
import type { SearchData } from '../queries';
import { href } from '../router';
import type { QuerySource } from '../search-query';
import { PhotoGrid } from './photo-grid';
import { QuickLabel } from './label-tool';
import { FeedbackButtons } from './refinement-controls';
import { ResultGrid } from './result-grid';

/**
 * One page of answers: photos with their defects drawn, or crops with feedback buttons, and the
 * pager. The refinements themselves live with the page's state.
 */
export function SearchResults({
  data,
  photos,
  refinements,
  limit,
  onePerPhoto,
  onRefine,
}: {
  data: SearchData;
  photos: boolean;
  refinements: Refinements;
  limit: number;
  onePerPhoto: boolean;
  onRefine: (refine: (previous: Refinements) => Refinements) => void;
}) {
  if (data.searchSimilar.length === 0) {
    return (
      <p class="empty" role="status">
        No crops match this query and these filters.
      </p>
    );
  }
  return (
    <>
      <p class="muted" role="status">
        {refinements.offset > 0
          ? `Results ${refinements.offset + 1}–${refinements.offset + data.searchSimilar.length}`
          : `${data.searchSimilar.length} crops`}
        {onePerPhoto ? ' (one per photo)' : ''}, most similar first.
      </p>
      {photos ? (
        <PhotoGrid results={data.searchSimilar} label="Search results" />
      ) : (
        <ResultGrid
          results={data.searchSimilar}
          label="Search results"
          actions={(crop) => (
            <>
              <FeedbackButtons
                crop={crop}
                onFeedback={(cropId, feedback) => onRefine((previous) => giveFeedback(previous, cropId, feedback))}
                onExcludePhoto={(photoId) => onRefine((previous) => excludePhoto(previous, photoId))}
              />
              {/* Offered where no damage is annotated: windows of unlabelled photos and clean crops. */}
              {crop.hasDamage !== true && <QuickLabel crop={crop} />}
            </>
          )}
        />
      )}
      <Pager
        offset={refinements.offset}
        limit={limit}
        shown={data.searchSimilar.length}
        onOffset={(offset) => onRefine((previous) => ({ ...previous, offset }))}
      />
    </>
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

export function QuerySummary({ source, onClear }: { source: QuerySource | null; onClear: () => void }) {
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

import { useEffect, useState } from 'preact/hooks';
import { graphql } from '../api';
import { BROWSE_CROPS, type BrowseCropsData, type CropFilter } from '../queries';
import { useRequest } from '../use-request';
import { ErrorBox } from './error-box';
import { ResultGrid } from './result-grid';

const PAGE_SIZE = 12;

/**
 * What the search page shows before any query: the crops of the default model's collection that
 * the form's filters match, a page at a time, each with its image and "Similar", so a first visit
 * has something to look at and to start a search from.
 */
export function CropBrowser({ filter }: { filter: CropFilter }) {
  // The cursors of the pages before this one: "Previous" pops, "Next" pushes the end cursor.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const filterKey = JSON.stringify(filter);
  useEffect(() => setCursors([null]), [filterKey]);
  const after = cursors.at(-1) ?? null;
  const page = useRequest<BrowseCropsData>(JSON.stringify(['browse', filterKey, after]), (signal) =>
    graphql(BROWSE_CROPS, { filter, first: PAGE_SIZE, after }, signal),
  );
  if (page.error) return <ErrorBox error={page.error} context="The crops could not be listed" />;
  const crops = page.data?.crops;
  if (!crops) return null;
  if (crops.totalCount === 0)
    return (
      <p class="empty" role="status">
        No crops match these filters. Ingest a dataset (<code>npx defect-rag ingest &lt;folder&gt;</code>) or widen the
        filters.
      </p>
    );
  const first = (cursors.length - 1) * PAGE_SIZE + 1;
  return (
    <div data-testid="browse">
      <p class="muted" role="status">
        Crops {first}–{first + crops.edges.length - 1} of {crops.totalCount} in the index. Press “Similar” on any of
        them, drop a photo, or describe a defect to search.
      </p>
      <ResultGrid
        results={crops.edges.map(({ node }) => ({ score: null, crop: node }))}
        label="Crops in the index"
        cardTestId="browsed-crop"
      />
      {(cursors.length > 1 || crops.pageInfo.hasNextPage) && (
        <nav class="pager" aria-label="Crop pages">
          <button type="button" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>
            Previous page
          </button>
          <button
            type="button"
            disabled={!crops.pageInfo.hasNextPage}
            onClick={() => setCursors([...cursors, crops.pageInfo.endCursor ?? null])}
            data-testid="browse-next"
          >
            Next page
          </button>
        </nav>
      )}
    </div>
  );
}

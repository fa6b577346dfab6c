import type { ComponentChildren } from 'preact';
import { damageState, formatScore } from '../format';
import type { Crop, SimilarCrop } from '../queries';
import { href } from '../router';
import { DefectOutlines } from './crop-figure';

/**
 * Crops as thumbnail cards, scored best first (or, browsed without a query, with no score), each
 * with links to its detail, its photo and its neighbours; `actions` adds the page's own controls
 * to each card (e.g. relevance feedback).
 */
export function ResultGrid({
  results,
  label,
  actions,
  cardTestId = 'result',
}: {
  results: (SimilarCrop | { score: null; crop: Crop })[];
  label: string;
  actions?: (crop: Crop) => ComponentChildren;
  /** Tells a page's search results from other cards in tests. */
  cardTestId?: string;
}) {
  return (
    <ol class="result-grid" aria-label={label}>
      {results.map(({ score, crop }, index) => (
        <li
          key={crop.id}
          class="card"
          data-testid={cardTestId}
          data-crop-id={crop.id}
          data-photo-id={crop.photoId}
          data-has-damage={String(crop.hasDamage)}
        >
          <a class="card-image" href={href({ page: 'crop', id: crop.id })} aria-label={`Crop ${index + 1}: details`}>
            <img src={crop.imageUrl} alt={crop.textDescription} width={336} height={336} decoding="async" />
            <DefectOutlines crop={crop} />
            {score !== null && (
              <span class="score" title="cosine similarity">
                {formatScore(score)}
              </span>
            )}
          </a>
          <div class="card-body">
            <div class="tags">
              <span class={`tag tag-${damageState(crop)}`}>{damageState(crop)}</span>
              {crop.defects.some((defect) => defect.critical) && (
                <span class="tag tag-critical" data-testid="critical" title="a defect of a critical damage type">
                  critical
                </span>
              )}
              <span class="tag">
                {crop.vehicleZone} · {crop.area}
              </span>
              {crop.damageTypes.map((type) => (
                <span key={type} class="tag tag-type">
                  {type}
                </span>
              ))}
              {crop.labels.map((label) => (
                <span
                  key={label.id}
                  class="tag tag-label"
                  data-testid="analyst-label"
                  title={`labelled by ${label.author}`}
                >
                  {label.kind === 'DEFECT' ? `labelled ${label.damageType}` : 'labelled no damage'} · {label.author}
                </span>
              ))}
            </div>
            <p class="description">{crop.textDescription}</p>
            <div class="card-actions">
              <a href={href({ page: 'crop', id: crop.id })}>Details</a>
              <a href={href({ page: 'search', similarTo: crop.id })} data-testid="similar">
                Similar
              </a>
              <a href={crop.sourceImageUrl} target="_blank" rel="noopener" data-testid="source-photo">
                Photo
              </a>
            </div>
            {actions?.(crop)}
          </div>
        </li>
      ))}
    </ol>
  );
}

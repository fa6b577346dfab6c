import { formatScore } from '../format';
import type { SimilarCrop } from '../queries';
import { href } from '../router';

/** Scored crops as thumbnail cards, best first, each with links to its detail and to its neighbours. */
export function ResultGrid({ results, label }: { results: SimilarCrop[]; label: string }) {
  return (
    <ol class="result-grid" aria-label={label}>
      {results.map(({ score, crop }, index) => (
        <li
          key={crop.id}
          class="card"
          data-testid="result"
          data-crop-id={crop.id}
          data-has-damage={String(crop.hasDamage)}
        >
          <a class="card-image" href={href({ page: 'crop', id: crop.id })} aria-label={`Crop ${index + 1}: details`}>
            <img src={crop.imageUrl} alt={crop.textDescription} width={336} height={336} decoding="async" />
            <span class="score" title="cosine similarity">
              {formatScore(score)}
            </span>
          </a>
          <div class="card-body">
            <div class="tags">
              <span class={crop.hasDamage ? 'tag tag-damaged' : 'tag tag-clean'}>
                {crop.hasDamage ? 'damaged' : 'clean'}
              </span>
              <span class="tag">
                {crop.vehicleZone} · {crop.area}
              </span>
              {crop.damageTypes.map((type) => (
                <span key={type} class="tag tag-type">
                  {type}
                </span>
              ))}
            </div>
            <p class="description">{crop.textDescription}</p>
            <div class="card-actions">
              <a href={href({ page: 'crop', id: crop.id })}>Details</a>
              <a href={href({ page: 'search', similarTo: crop.id })} data-testid="similar">
                Similar
              </a>
            </div>
          </div>
        </li>
      ))}
    </ol>
  );
}

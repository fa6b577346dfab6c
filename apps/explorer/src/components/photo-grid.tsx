import { damageState, formatScore } from '../format';
import type { Photo, SimilarCrop } from '../queries';
import { href } from '../router';

/**
 * Scored whole photos (a photo-level search), best first, each with its annotated defects' polygons
 * drawn over it. The SVG's viewBox is the photo's pixel size, so the polygons (photo pixels) lie
 * on the image at any displayed size.
 */
export function PhotoGrid({ results, label }: { results: SimilarCrop[]; label: string }) {
  return (
    <ol class="result-grid" aria-label={label}>
      {results.map(({ score, crop }) => {
        const photo = crop.photo;
        return (
          <li
            key={crop.id}
            class="card"
            data-testid="photo-result"
            data-photo-id={crop.id}
            data-has-damage={String(crop.hasDamage)}
          >
            <div class="card-image">
              {photo ? <PhotoFigure photo={photo} /> : <img src={crop.imageUrl} alt={crop.textDescription} />}
              <span class="score" title="cosine similarity">
                {formatScore(score)}
              </span>
            </div>
            <div class="card-body">
              <div class="tags">
                <span class={`tag tag-${damageState(crop)}`}>{damageState(crop)}</span>
                {(photo?.zones ?? [crop.vehicleZone]).map((zone) => (
                  <span key={zone} class="tag">
                    {zone}
                  </span>
                ))}
              </div>
              <p class="description">{crop.textDescription}</p>
              <p class="muted small">
                <code>{crop.sourceImage}</code>
                {photo ? `, ${photo.width}×${photo.height}, ${photo.cropIds.length} crops` : ''}
              </p>
              <div class="card-actions">
                {photo?.cropIds[0] && <a href={href({ page: 'crop', id: photo.cropIds[0] })}>A crop of it</a>}
                <a href={href({ page: 'search', similarTo: crop.id })} data-testid="similar">
                  Similar crops
                </a>
              </div>
            </div>
          </li>
        );
      })}
    </ol>
  );
}

function PhotoFigure({ photo }: { photo: Photo }) {
  return (
    <div class="overlay-frame">
      <img src={photo.imageUrl} alt={`The photo ${photo.sourceImage}`} decoding="async" />
      <svg
        class="overlay"
        viewBox={`0 0 ${photo.width} ${photo.height}`}
        preserveAspectRatio="none"
        role="img"
        aria-label={`${photo.defects.length} defect polygons`}
        data-testid="photo-overlay"
      >
        {photo.defects.map((defect, index) => (
          <polygon
            key={index}
            class="defect-polygon"
            points={defect.polygon.map((point) => point.join(',')).join(' ')}
            data-testid="defect-polygon"
          >
            <title>
              {defect.label} ({defect.type}, {defect.zone})
            </title>
          </polygon>
        ))}
      </svg>
    </div>
  );
}

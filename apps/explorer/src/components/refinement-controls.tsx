import type { Crop } from '../queries';
import type { Feedback, Refinements } from '../refinements';

/** A result card's feedback actions: more / not like this crop, and leaving its photo out. */
export function FeedbackButtons({
  crop,
  onFeedback,
  onExcludePhoto,
}: {
  crop: Crop;
  onFeedback: (cropId: string, feedback: Feedback) => void;
  onExcludePhoto: (photoId: string) => void;
}) {
  return (
    <div class="feedback-actions">
      <button type="button" onClick={() => onFeedback(crop.id, 'positive')} data-testid="more-like-this">
        More like this
      </button>
      <button type="button" onClick={() => onFeedback(crop.id, 'negative')} data-testid="not-like-this">
        Not like this
      </button>
      <button
        type="button"
        class="link-button"
        onClick={() => onExcludePhoto(crop.photoId)}
        data-testid="exclude-photo"
      >
        Exclude this photo
      </button>
    </div>
  );
}

/** The feedback and excluded photos of the current query, each a chip that removes it. */
export function RefinementChips({
  refinements,
  onWithdraw,
  onIncludePhoto,
}: {
  refinements: Refinements;
  onWithdraw: (cropId: string) => void;
  onIncludePhoto: (photoId: string) => void;
}) {
  const chips = [
    ...refinements.positiveCropIds.map((id) => ({ kind: 'positive', label: 'More like', id, remove: onWithdraw })),
    ...refinements.negativeCropIds.map((id) => ({ kind: 'negative', label: 'Not like', id, remove: onWithdraw })),
    ...refinements.excludePhotoIds.map((id) => ({
      kind: 'excluded',
      label: 'Without photo',
      id,
      remove: onIncludePhoto,
    })),
  ];
  if (chips.length === 0) return null;
  return (
    <ul class="chips" aria-label="Feedback and excluded photos" data-testid="refinements">
      {chips.map(({ kind, label, id, remove }) => (
        <li key={`${kind}:${id}`} class={`chip chip-${kind}`} data-testid={`chip-${kind}`} data-id={id}>
          {label} <code>{id}</code>
          <button type="button" aria-label={`Remove “${label} ${id}”`} onClick={() => remove(id)}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}

import type { SearchOptionsData } from '../queries';

type ModelInfo = SearchOptionsData['models'][number];

/** The served models to choose from, when there is more than one. */
export function ModelChoice({
  models,
  model,
  onModel,
}: {
  models: ModelInfo[];
  model: ModelInfo | undefined;
  onModel: (id: string) => void;
}) {
  if (models.length <= 1) return null;
  return (
    <label class="model-choice">
      Model
      <select
        value={model?.id ?? ''}
        onChange={(event) => onModel(event.currentTarget.value)}
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
  );
}

/** A described defect; a model without a text tower disables it, says why and offers one that has. */
export function TextQueryForm({
  text,
  onText,
  onSubmit,
  textAvailable,
  modelId,
  textModel,
  onModel,
}: {
  text: string;
  onText: (text: string) => void;
  onSubmit: (event: Event) => void;
  textAvailable: boolean;
  modelId: string | undefined;
  /** A served model with a text tower, offered when the chosen one has none. */
  textModel: ModelInfo | undefined;
  onModel: (id: string) => void;
}) {
  return (
    <form class="text-query" role="search" onSubmit={onSubmit}>
      <label for="query-text">Describe a defect</label>
      <div class="input-row">
        <input
          id="query-text"
          type="search"
          value={text}
          placeholder={textAvailable ? 'deep scratch on the rear bumper' : 'this model has no text tower'}
          onInput={(event) => onText(event.currentTarget.value)}
          maxLength={1000}
          disabled={!textAvailable}
        />
        <button type="submit" disabled={!textAvailable || !text.trim()}>
          Search
        </button>
      </div>
      {!textAvailable && (
        <p class="muted small" data-testid="no-text-tower">
          {modelId} compares images only: search by an image or a crop
          {textModel ? (
            <>
              , or describe a defect with {textModel.id}
              {textModel.randomWeights ? ' (random test weights)' : ''}.{' '}
              <button
                type="button"
                class="link-button"
                onClick={() => onModel(textModel.id)}
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
  );
}

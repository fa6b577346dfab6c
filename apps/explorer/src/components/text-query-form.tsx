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
            {candidate.modes.includes('TEXT') ? '' : ' (text by labels)'}
            {candidate.randomWeights ? ' (random test weights)' : ''}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * A described defect. A model without a text tower answers it by label prototypes (the API's
 * `textQueries`): the form says so, and offers a served model that has a text tower.
 */
export function TextQueryForm({
  text,
  onText,
  onSubmit,
  model,
  textModel,
  onModel,
}: {
  text: string;
  onText: (text: string) => void;
  onSubmit: (event: Event) => void;
  model: ModelInfo | undefined;
  /** A served model with a text tower, offered when the chosen one has none. */
  textModel: ModelInfo | undefined;
  onModel: (id: string) => void;
}) {
  const byPrototypes = model?.textQueries === LABEL_PROTOTYPES;
  return (
    <form class="text-query" role="search" onSubmit={onSubmit}>
      <label for="query-text">Describe a defect</label>
      <div class="input-row">
        <input
          id="query-text"
          type="search"
          value={text}
          placeholder={byPrototypes ? 'scratch on the rear bumper' : 'deep scratch on the rear bumper'}
          onInput={(event) => onText(event.currentTarget.value)}
          maxLength={1000}
        />
        <button type="submit" disabled={!text.trim()}>
          Search
        </button>
      </div>
      {byPrototypes && (
        <p class="muted small" data-testid="prototype-text">
          {model.id} has no text tower: your words are matched to damage types and zones (English or Spanish names and
          synonyms) and searched with the mean image vector of the indexed crops labelled with them
          {textModel ? (
            <>
              ; to describe a defect freely, use {textModel.id}
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
            '.'
          )}
        </p>
      )}
    </form>
  );
}

/** The API's `textQueries` of a model that answers text through label prototypes. */
const LABEL_PROTOTYPES = 'label-prototypes';

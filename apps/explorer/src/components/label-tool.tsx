import { useEffect, useState } from 'preact/hooks';
import { graphql, toApiError } from '../api';
import {
  ADD_DEFECT_LABEL,
  LABEL_RUN,
  LABEL_TYPES,
  MARK_NO_DAMAGE,
  PHOTO_LABELS,
  type AddDefectLabelData,
  type LabelRunData,
  type LabelTypesData,
  type MarkNoDamageData,
  type PhotoLabelsData,
} from '../label-queries';
import type { Box, Crop, RegionBox } from '../queries';
import { useRequest } from '../use-request';
import { RegionPicker } from './region-picker';

type DamageType = LabelTypesData['taxonomy']['damageTypes'][number];

/** Each dataset's damage types, asked once per page load however many cards offer them. */
const typesByDataset = new Map<string, Promise<DamageType[]>>();

function useDamageTypes(datasetId: string): DamageType[] {
  const [types, setTypes] = useState<DamageType[]>([]);
  useEffect(() => {
    let loading = typesByDataset.get(datasetId);
    if (!loading) {
      loading = graphql<LabelTypesData>(LABEL_TYPES, { datasetId }).then((data) => data.taxonomy.damageTypes);
      loading.catch(() => typesByDataset.delete(datasetId));
      typesByDataset.set(datasetId, loading);
    }
    let current = true;
    // A failed load offers no types (the buttons stay disabled); the next card asks again.
    loading.then(
      (loaded) => current && setTypes(loaded),
      () => current && setTypes([]),
    );
    return () => {
      current = false;
    };
  }, [datasetId]);
  return types;
}

/** A box's corners, clockwise: the polygon of a label drawn as a box. */
function corners({ x, y, width, height }: Box | RegionBox): { x: number; y: number }[] {
  return [
    { x, y },
    { x: x + width, y },
    { x: x + width, y: y + height },
    { x, y: y + height },
  ];
}

/** Waits for the RELABEL run a label started; its final status. */
async function runEnd(runId: string): Promise<string> {
  for (;;) {
    const { run } = await graphql<LabelRunData>(LABEL_RUN, { id: runId });
    if (!run) return 'GONE';
    if (run.status !== 'QUEUED' && run.status !== 'RUNNING')
      return run.error ? `${run.status}: ${run.error}` : run.status;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** What a label request has come to, as a line of text (`done` once its run has ended). */
interface LabelStatus {
  text: string;
  done: boolean;
  failed?: boolean;
}

/** Sends a label, then follows its RELABEL run, telling `onStatus` each step. */
async function sendLabel(
  send: () => Promise<{ runId: string | null; what: string }>,
  onStatus: (status: LabelStatus) => void,
): Promise<void> {
  try {
    onStatus({ text: 'Saving the label…', done: false });
    const { runId, what } = await send();
    if (!runId) {
      onStatus({ text: `${what}; the photo is recut after the run in progress.`, done: true });
      return;
    }
    onStatus({ text: `${what}; recutting the photo (run ${runId})…`, done: false });
    const status = await runEnd(runId);
    onStatus({ text: `${what}; run ${status.toLowerCase()}.`, done: true, failed: status !== 'SUCCEEDED' });
  } catch (error) {
    onStatus({ text: `Not labelled: ${toApiError(error)?.message ?? 'cancelled'}`, done: true, failed: true });
  }
}

/**
 * Labels the photo a crop was cut from: a box drawn with the region tool and a damage type become a
 * damage polygon; the photo's crops are recut by its RELABEL run, and its labels are listed.
 */
export function LabelTool({ crop }: { crop: Crop }) {
  const photoId = `photo:${crop.imageId}`;
  const types = useDamageTypes(crop.datasetId);
  const [region, setRegion] = useState<RegionBox | null>(null);
  const [type, setType] = useState('');
  const [status, setStatus] = useState<LabelStatus | null>(null);
  const labels = useRequest<PhotoLabelsData>(photoId, (signal) => graphql(PHOTO_LABELS, { id: photoId }, signal));
  const chosen = type || types[0]?.id || '';
  const busy = status !== null && !status.done;

  const submit = async (event: Event) => {
    event.preventDefault();
    if (!region || !chosen) return;
    await sendLabel(async () => {
      const { addDefectLabel } = await graphql<AddDefectLabelData>(ADD_DEFECT_LABEL, {
        input: { photoId, damageType: chosen, polygon: corners(region) },
      });
      return { runId: addDefectLabel.runId ?? null, what: `Labelled ${chosen}` };
    }, setStatus);
    setRegion(null);
    labels.reload();
  };

  const photo = labels.data?.photo;
  return (
    <section class="label-tool" aria-labelledby="label-heading" data-testid="label-tool">
      <h2 id="label-heading">Label this photo</h2>
      <RegionPicker
        preview={crop.sourceImageUrl}
        name={crop.sourceImage}
        alt={`The photo ${crop.sourceImage}, to draw a damage on`}
        hint="Drag a box around a damage, pick its type and add it."
        region={region}
        onRegion={setRegion}
      />
      <form class="label-form" onSubmit={submit}>
        <label>
          Damage type{' '}
          <select value={chosen} onChange={(event) => setType(event.currentTarget.value)} data-testid="label-type">
            {types.map((each) => (
              <option key={each.id} value={each.id}>
                {each.name}
              </option>
            ))}
          </select>
        </label>{' '}
        <button type="submit" disabled={!region || !chosen || busy} data-testid="add-label">
          Add damage label
        </button>
      </form>
      {status && (
        <p class={status.failed ? 'error' : 'muted'} role="status" data-testid="label-status">
          {status.text}
        </p>
      )}
      {photo && (
        <>
          <p data-testid="photo-state">
            Photo: {photo.hasDamage ? `damaged (${photo.damageTypes.join(', ')})` : 'clean'}
          </p>
          {photo.labels.length > 0 && (
            <ul class="labels" data-testid="photo-labels">
              {photo.labels.map((label) => (
                <li key={label.id}>
                  {label.kind === 'DEFECT' ? `damage: ${label.damageType}` : 'no damage'} by {label.author},{' '}
                  {new Date(label.createdAt).toLocaleString()}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

/**
 * One click on a search result judged by eye: "damage: <type>" labels its window as a damage of
 * that type, "no damage" marks it clean; either recuts its photo. Offered on results from photos
 * with no annotated damage.
 */
export function QuickLabel({ crop, defaultType }: { crop: Crop; defaultType?: string }) {
  const types = useDamageTypes(crop.datasetId);
  const [type, setType] = useState('');
  const [status, setStatus] = useState<LabelStatus | null>(null);
  const chosen = type || defaultType || types[0]?.id || '';
  const busy = status !== null && !status.done;
  const photoId = `photo:${crop.imageId}`;

  const damage = () =>
    sendLabel(async () => {
      const { addDefectLabel } = await graphql<AddDefectLabelData>(ADD_DEFECT_LABEL, {
        input: { photoId, damageType: chosen, polygon: corners(crop.box) },
      });
      return { runId: addDefectLabel.runId ?? null, what: `Labelled ${chosen}` };
    }, setStatus);
  const clean = () =>
    sendLabel(async () => {
      const { markNoDamage } = await graphql<MarkNoDamageData>(MARK_NO_DAMAGE, { input: { photoId, cropId: crop.id } });
      return { runId: markNoDamage.runId ?? null, what: 'Marked no damage' };
    }, setStatus);

  return (
    <div class="quick-label" data-testid="quick-label">
      <select
        aria-label="Damage type"
        value={chosen}
        onChange={(event) => setType(event.currentTarget.value)}
        disabled={busy}
      >
        {types.map((each) => (
          <option key={each.id} value={each.id}>
            {each.name}
          </option>
        ))}
      </select>
      <button type="button" disabled={busy || !chosen} onClick={damage} data-testid="label-damage">
        damage: {chosen}
      </button>
      <button type="button" disabled={busy} onClick={clean} data-testid="label-no-damage">
        no damage
      </button>
      {status && (
        <span class={status.failed ? 'error small' : 'muted small'} role="status" data-testid="quick-label-status">
          {status.text}
        </span>
      )}
    </div>
  );
}

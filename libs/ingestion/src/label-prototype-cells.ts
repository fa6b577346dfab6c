import type { PrototypeCell } from '@defect-rag/db';
import type { Backend, CollectionModel, RunRecorder } from '@defect-rag/runs';

/**
 * The write side of label prototypes (`labelPrototype` of libs/search reads them). Rewrites the prototype cells of a dataset in a collection from its indexed crops' image vectors
 * (all of them, read a page at a time); returns how many crops they sum. Ingestion calls it last,
 * so the cells follow every crop it added, replaced, moved to another split or removed.
 */
export async function refreshLabelPrototypes(backend: Backend, collection: string, datasetId: string): Promise<number> {
  const cells = new Map<string, PrototypeCell>();
  let crops = 0;
  // Only labelled crops: an unlabelled window's zone is known but not whether it shows damage, so
  // counting it in a zone's cell would mix unknown damage into a "clean <zone>" prototype.
  const labelledCrops = { datasetId, level: 'crop', labelled: true } as const;
  for await (const page of backend.vectorStore.scrollVectors(collection, labelledCrops, 'image')) {
    for (const { payload, vector } of page) {
      const damageTypes = [...payload.damage_types].sort();
      const key = JSON.stringify([payload.split, damageTypes, payload.vehicle_zone]);
      let cell = cells.get(key);
      if (!cell) {
        cell = {
          split: payload.split,
          damageTypes,
          zone: payload.vehicle_zone,
          crops: 0,
          sum: new Float64Array(vector.length),
        };
        cells.set(key, cell);
      }
      cell.crops++;
      for (let d = 0; d < vector.length; d++) cell.sum[d]! += vector[d]!;
      crops++;
    }
  }
  await backend.db.prototypeCells.replace(collection, datasetId, [...cells.values()]);
  return crops;
}

/**
 * The last stage of a run that wrote a dataset's points: its prototype cells rewritten, for a model
 * without a text tower (the only kind that answers text through them). After a refit of the
 * collection's whitening every dataset's are: every point's `image` changed.
 */
export async function refreshPrototypesAfterRun(
  backend: Backend,
  model: CollectionModel,
  collection: string,
  datasetId: string,
  recorder: RunRecorder,
  { refitted = false }: { refitted?: boolean } = {},
): Promise<void> {
  if (model.towers.includes('text')) return;
  const datasetIds = refitted
    ? (await backend.vectorStore.facets(collection, 'dataset_id')).map((facet) => String(facet.value))
    : [datasetId];
  let crops = 0;
  await recorder.stage('prototypes', async () => {
    for (const id of datasetIds) crops += await refreshLabelPrototypes(backend, collection, id);
  });
  await recorder.counts({ prototypeCrops: crops });
}

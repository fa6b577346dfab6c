import type { Backend } from '@defect-rag/runs';
import { DefectRagError } from '@defect-rag/runtime';
import { parseLabelQuery, zonesWithin, type LabelQuery, type Taxonomy } from '@defect-rag/taxonomy';

/**
 * Text search without a text tower. A text query is read as the taxonomy's damage types and
 * zones (`parseLabelQuery`: names, plurals, Spanish and English synonyms, part names); its vector
 * is the L2-normalised mean of the image vectors of the indexed crops that carry those labels (a
 * damage type among them, and a zone among them or below them, when the text names any).
 *
 * The means are kept per collection: each ingestion of a dataset ends by summing its crops' image
 * vectors per (split, damage types, zone) cell (`refreshLabelPrototypes` of libs/ingestion, stored in PostgreSQL), and
 * deleting the dataset deletes its cells. A query sums the cells it names: every crop of the
 * collection counts, and a query reads a few hundred rows rather than the crops' vectors.
 */
export interface LabelPrototype {
  labels: LabelQuery;
  /** Indexed crops averaged. */
  crops: number;
  vector: Float32Array;
}

/** Which cells a prototype reads: one dataset's or all, one split's (the evaluation's train crops) or all. */
export interface PrototypeScope {
  datasetId?: string;
  split?: string;
}

export async function labelPrototype(
  backend: Backend,
  collection: string,
  taxonomy: Taxonomy,
  text: string,
  scope: PrototypeScope = {},
): Promise<LabelPrototype> {
  const labels = parseLabelQuery(taxonomy, text);
  const zones = new Set(zonesWithin(taxonomy, labels.zones));
  const cells = (await backend.db.prototypeCells.list(collection, scope.datasetId)).filter(
    (cell) =>
      (scope.split === undefined || cell.split === scope.split) &&
      (labels.damageTypes.length === 0 || cell.damageTypes.some((type) => labels.damageTypes.includes(type))) &&
      (labels.zones.length === 0 || zones.has(cell.zone)),
  );
  const crops = cells.reduce((total, cell) => total + cell.crops, 0);
  if (crops === 0) {
    throw new DefectRagError(
      'BAD_INPUT',
      `no indexed crop shows ${[...labels.damageTypes, ...labels.zones].join(', ')}: a model without a text tower ` +
        'answers text with the mean image vector of the crops that carry those labels, kept per collection by ingestion ' +
        '(a dataset ingested before they were kept needs one more `defect-rag ingest`)',
    );
  }
  const sum = new Float64Array(cells[0]!.sum.length);
  for (const cell of cells) for (let d = 0; d < sum.length; d++) sum[d]! += cell.sum[d]!;
  const norm = Math.max(Math.hypot(...sum), 1e-12);
  return { labels, crops, vector: Float32Array.from(sum, (value) => value / norm) };
}

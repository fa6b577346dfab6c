import { readDataset, withAnalystLabels, type Dataset, type ReadDatasetOptions } from '@defect-rag/dataset';
import type { Backend } from '@defect-rag/runs';

/**
 * A dataset as ingestion sees it: its folder read by `readDataset`, each image with its effective
 * annotation (its LabelMe shapes and its analysts' labels, `withAnalystLabels`).
 */
export async function readLabelledDataset(
  backend: Backend,
  datasetId: string,
  root: string,
  options: ReadDatasetOptions,
): Promise<Dataset> {
  const dataset = await readDataset(root, options);
  const labels = await backend.db.labels.list(datasetId);
  return labels.length === 0 ? dataset : { ...dataset, images: withAnalystLabels(dataset.images, labels) };
}

import path from 'node:path';
import type { Backend } from '@defect-rag/runs';

/**
 * The search commands to try after ingesting a dataset with a model. They name that model: the
 * default one (DEFECT_RAG_MODEL_DIR) may be another, whose collection lacks the dataset. A model
 * without a text tower gets a search by one of the dataset's crops instead of a text.
 */
export async function searchHints(
  backend: Backend,
  ingested: { modelDir: string; collection: string; datasetId: string },
): Promise<string[]> {
  const embedder = await backend.embedder(ingested.modelDir);
  const model = `--model ${path.relative(process.cwd(), ingested.modelDir) || '.'}`;
  if (embedder.hasTextTower)
    return [`  npx defect-rag search --text "scratch on the front bumper" --damaged ${model} --limit 5`];
  const [crop] = (
    await backend.vectorStore.browse(ingested.collection, { datasetId: ingested.datasetId }, { first: 1 })
  ).crops;
  return [`  npx defect-rag search --crop-id ${crop?.crop_id ?? '<crop id>'} ${model} --limit 5`];
}

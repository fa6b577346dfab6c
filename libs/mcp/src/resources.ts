import { RANDOM_MODEL_WARNING, type EvaluationMetrics } from '@defect-rag/evaluation';
import { listDatasets, listRuns, type Backend, type DatasetRecord } from '@defect-rag/runs';
import { activeTaxonomy, childZones } from '@defect-rag/search';

export interface Resource {
  uri: string;
  name: string;
  description: string;
  read(backend: Backend): Promise<unknown>;
}

/** Read-only JSON documents an agent reads once to make sense of the tools' answers. */
export const RESOURCES: Resource[] = [
  {
    uri: 'defect-rag://taxonomy',
    name: 'taxonomy',
    description:
      'The vocabulary of the index: damage types (with their synonyms and whether they are critical), zones (with the zones below each: a filter on a zone matches them too) and areas.',
    async read(backend) {
      const taxonomy = await activeTaxonomy(backend);
      return {
        damageTypes: taxonomy.damageTypes.map(({ id, name, critical, synonyms }) => ({ id, name, critical, synonyms })),
        zones: taxonomy.zones.map((zone) => ({ ...zone, children: childZones(taxonomy, zone.id) })),
        areas: taxonomy.areas,
      };
    },
  },
  {
    uri: 'defect-rag://evaluations',
    name: 'evaluations',
    description:
      "The latest successful evaluation of each dataset: its model, whether the model's weights are random, and how well each search configuration retrieved the right crops, so an agent can tell how far to trust a score. null for a dataset never evaluated.",
    async read(backend) {
      const datasets = await allDatasets(backend);
      return {
        datasets: await Promise.all(
          datasets.map(async (dataset) => {
            const [run] = (
              await listRuns(backend, { datasetId: dataset.id, kind: 'EVALUATE', status: 'SUCCEEDED' }, { first: 1 })
            ).items;
            const metrics = run?.metrics as EvaluationMetrics | null | undefined;
            return {
              datasetId: dataset.id,
              name: dataset.name,
              evaluation:
                run && metrics
                  ? {
                      runId: run.id,
                      finishedAt: run.finishedAt,
                      modelId: metrics.modelId,
                      randomWeights: metrics.randomWeights,
                      ...(metrics.randomWeights && { warning: RANDOM_MODEL_WARNING }),
                      k: metrics.k,
                      rankingK: metrics.rankingK,
                      trainCrops: metrics.trainCrops,
                      testCrops: metrics.testCrops,
                      ranking: metrics.ranking,
                      findings: metrics.findings,
                    }
                  : null,
            };
          }),
        ),
      };
    },
  },
];

async function allDatasets(backend: Backend): Promise<DatasetRecord[]> {
  const datasets: DatasetRecord[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await listDatasets(backend, { first: 100, after });
    datasets.push(...page.items);
    if (!page.hasNextPage || page.endCursor === null) return datasets;
    after = page.endCursor;
  }
}

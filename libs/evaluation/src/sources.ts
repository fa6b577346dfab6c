import path from 'node:path';
import { DefectRagError } from '@defect-rag/runtime';
import { summarizeScores, type ConfigurationRole, type ProtocolInput, type SearchMetrics } from './protocol';
import { memoryRetriever, type EvaluationCrop } from './retrieval';
import { RelevantCounts, scoreQuery } from './scoring';

/**
 * Which source a photo comes from, by its file stem: the first capture group of this pattern, else
 * its whole match. By default the stem up to the first `_` (`lns_0042` → `lns`).
 */
export const DEFAULT_SOURCE_PATTERN = '^([^_]+)_';
/** The source of a photo whose stem the pattern does not match. */
export const NO_SOURCE = '(no source)';

/** Names the source of a photo by its path (relative to the dataset or not). */
export type SourceOf = (imagePath: string) => string;

export function sourceNamer(pattern: string = DEFAULT_SOURCE_PATTERN): SourceOf {
  let regex: RegExp;
  try {
    regex = new RegExp(pattern);
  } catch (error) {
    throw new DefectRagError(
      'BAD_INPUT',
      `invalid source pattern ${JSON.stringify(pattern)}: ${(error as Error).message}`,
    );
  }
  return (imagePath) => {
    const stem = path.basename(imagePath, path.extname(imagePath));
    const match = regex.exec(stem);
    return (match?.[1] ?? match?.[0]) || NO_SOURCE;
  };
}

/** One configuration searched within one source. */
export interface SourceConfiguration {
  label: string;
  role: ConfigurationRole;
  metrics: SearchMetrics;
}

/**
 * The protocol within one source: its test crops query its train crops only, so that a figure
 * reached by telling sources apart (photo size, colours of one site) cannot show here.
 */
export interface SourceResult {
  source: string;
  /** Photos of the source with a crop on either side. */
  photos: number;
  trainCrops: number;
  testCrops: number;
  configurations: SourceConfiguration[];
}

export type WithinSourcesInput = Pick<ProtocolInput, 'train' | 'test' | 'searches' | 'ks' | 'critical' | 'judged'> & {
  sourceOf: SourceOf;
};

/**
 * Every configuration again within each source that has train and test crops, exactly, in memory
 * (the stored vectors of a configuration are the crops' own, so no Qdrant filter is needed).
 */
export async function withinSources(input: WithinSourcesInput): Promise<SourceResult[]> {
  const { ks, critical, judged } = input;
  const limit = Math.max(...ks);
  const bySource = (crops: readonly EvaluationCrop[]) => {
    const groups = new Map<string, EvaluationCrop[]>();
    for (const crop of crops) {
      const source = input.sourceOf(crop.payload.image);
      groups.set(source, [...(groups.get(source) ?? []), crop]);
    }
    return groups;
  };
  const trainBySource = bySource(input.train);
  const testBySource = bySource(input.test);
  const sources = [...new Set([...trainBySource.keys(), ...testBySource.keys()])].sort();
  const results: SourceResult[] = [];
  for (const source of sources) {
    const train = trainBySource.get(source) ?? [];
    const test = testBySource.get(source) ?? [];
    const result: SourceResult = {
      source,
      photos: new Set([...train, ...test].map((crop) => crop.payload.image_id)).size,
      trainCrops: train.length,
      testCrops: test.length,
      configurations: [],
    };
    results.push(result);
    if (train.length === 0 || test.length === 0) continue;
    const counts = new RelevantCounts(train.map((crop) => crop.labels));
    for (const spec of input.searches) {
      const index = spec.index;
      const retriever = memoryRetriever(train, {
        indexVector: 'stored' in index ? (crop) => crop.vectors[index.stored]! : index.computed,
        queryVector: spec.queryVector,
        limit,
      });
      const scores = [];
      for (const query of test) {
        scores.push(scoreQuery(query.labels, await retriever(query), ks, counts, critical, judged));
      }
      result.configurations.push({ label: spec.label, role: spec.role, metrics: summarizeScores(scores, ks) });
    }
  }
  return results;
}

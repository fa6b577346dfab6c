import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  analyzeDataset,
  formatReportMarkdown,
  readDataset,
  splitDataset,
  SPLIT_FILE,
  type Dataset,
  type DatasetReport,
  type DefectClassifier,
  type SplitFile,
} from '@defect-rag/dataset';
import { DefectRagError, type ProgressListener } from '@defect-rag/runtime';
import { loadDatasetTaxonomy, TaxonomyNormalizer, zoneOfCrop } from '@defect-rag/taxonomy';

export interface DatasetStageOptions {
  datasetDir: string;
  /** A taxonomy override; else the dataset's own `taxonomy.yaml`, else the shipped default. */
  taxonomyFile?: string;
  /** The damage file name pattern, `{stem}` standing for the image name without extension. */
  annotationPattern?: string;
  onProgress?: ProgressListener;
}

/**
 * Reads the dataset and the taxonomy that names its labels. Throws when the folder has no usable
 * image at all: then there is nothing any stage could do.
 */
export async function openDataset(
  options: DatasetStageOptions,
): Promise<{ dataset: Dataset; normalizer: TaxonomyNormalizer }> {
  const normalizer = new TaxonomyNormalizer(loadDatasetTaxonomy(options.datasetDir, options.taxonomyFile));
  const dataset = await readDataset(options.datasetDir, {
    annotationPattern: options.annotationPattern,
    onProgress: options.onProgress,
  });
  if (dataset.images.length === 0) {
    const shown = dataset.problems.slice(0, 5).map((p) => `\n  [${p.code}] ${p.item}: ${p.message}`);
    const more = dataset.problems.length > 5 ? `\n  … and ${dataset.problems.length - 5} more` : '';
    throw new DefectRagError('DATASET_INVALID', `no usable image in ${options.datasetDir}:${shown.join('')}${more}`, {
      problems: dataset.problems,
    });
  }
  return { dataset, normalizer };
}

/** The taxonomy's names for the dataset library's analysis and split. */
export function taxonomyClassifier(normalizer: TaxonomyNormalizer): DefectClassifier {
  return {
    damageType: (label) => normalizer.damageType(label),
    zone: (overlaps) => zoneOfCrop(overlaps, normalizer).vehicle_zone,
  };
}

export interface AnalyzeStageOptions extends DatasetStageOptions {
  outDir: string;
  /** The crop window the size counts refer to. */
  window?: number;
}

export interface AnalyzeStageResult {
  report: DatasetReport;
  files: { json: string; markdown: string };
}

/** `analyze`: writes `dataset-report.json` and `dataset-report.md` into `outDir`. */
export async function analyzeStage(options: AnalyzeStageOptions): Promise<AnalyzeStageResult> {
  const { dataset, normalizer } = await openDataset(options);
  const report = analyzeDataset(dataset, { classifier: taxonomyClassifier(normalizer), window: options.window });
  await mkdir(options.outDir, { recursive: true });
  const files = {
    json: path.join(options.outDir, 'dataset-report.json'),
    markdown: path.join(options.outDir, 'dataset-report.md'),
  };
  await writeFile(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(files.markdown, formatReportMarkdown(report));
  return { report, files };
}

export interface SplitStageOptions extends DatasetStageOptions {
  outDir: string;
  testFraction?: number;
  seed?: number;
}

export interface SplitStageResult {
  split: SplitFile;
  file: string;
  problems: Dataset['problems'];
}

/** `split`: writes `split.json` into `outDir`. */
export async function splitStage(options: SplitStageOptions): Promise<SplitStageResult> {
  const { dataset, normalizer } = await openDataset(options);
  const split = splitDataset(dataset, {
    testFraction: options.testFraction,
    seed: options.seed,
    classifier: taxonomyClassifier(normalizer),
  });
  await mkdir(options.outDir, { recursive: true });
  const file = path.join(options.outDir, SPLIT_FILE);
  await writeFile(file, `${JSON.stringify(split, null, 2)}\n`);
  return { split, file, problems: dataset.problems };
}

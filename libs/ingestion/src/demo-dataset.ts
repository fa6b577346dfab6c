import { generateDemoDataset, type DemoDatasetOptions, type DemoDatasetSummary } from '@defect-rag/demo-dataset';

export type { DemoDatasetSummary };

export interface DemoDatasetStageOptions extends DemoDatasetOptions {
  /** A new or empty folder, or a demo dataset written earlier (it is replaced). */
  outDir: string;
}

/**
 * `demo-dataset`: writes the synthetic demo dataset (see `generateDemoDataset`) into `outDir`, so a
 * fresh machine has something real to run `ingest` and the other stages on.
 */
export function demoDatasetStage({ outDir, ...options }: DemoDatasetStageOptions): Promise<DemoDatasetSummary> {
  return generateDemoDataset(outDir, options);
}

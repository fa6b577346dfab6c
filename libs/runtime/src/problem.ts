import type { ErrorCode } from './errors';

/** The pipeline stages a problem can come from. */
export type Stage = 'dataset' | 'crops' | 'contexts' | 'embedding' | 'index' | 'evaluate';

/**
 * Bad input never stops a run: each bad item becomes a Problem, recorded on the run and shown in
 * the CLI's summary, and the rest goes on.
 */
export interface Problem {
  /** The item the problem is about, as a user would find it: a path relative to the dataset, a crop id. */
  item: string;
  stage: Stage;
  code: ErrorCode;
  message: string;
}

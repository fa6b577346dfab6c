/**
 * Libraries report progress through this callback and never draw anything themselves: the CLI turns
 * it into progress bars, the pipeline into run records.
 */
export interface ProgressEvent {
  stage: string;
  done: number;
  total: number;
  /** Optional short text about the item just finished. */
  item?: string;
}

export type ProgressListener = (event: ProgressEvent) => void;

export const noProgress: ProgressListener = () => {};

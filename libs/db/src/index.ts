export { openDatabase, type Database } from './database';
export { applyMigrations, defaultMigrationsDir, type MigrationResult } from './migrate';
export { DatasetRepository, type DatasetRecord, type DatasetCounts } from './dataset-repository';
export {
  RunRepository,
  type RunRecord,
  type RunKind,
  type RunStatus,
  type RunFilter,
  type NewRun,
  type RunProblemRecord,
  type StageProgress,
} from './run-repository';
export { PrototypeCellRepository, type PrototypeCell } from './prototype-cell-repository';
export { WhiteningRepository, type StoredWhitening } from './whitening-repository';
export {
  LabelRepository,
  type AnalystLabelKind,
  type AnalystLabelRecord,
  type LabelBox,
  type NewAnalystLabel,
} from './label-repository';
export type { Page, PageRequest } from './page';
export type { DatasetLock } from './dataset-lock';

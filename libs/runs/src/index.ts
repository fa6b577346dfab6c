export { openBackend, type Backend, type CollectionModel } from './backend';
export { runDoctor, type DoctorCheck, type DoctorReport } from './doctor';
export { findStrayServers, stopStrayServer, type StrayServer } from '@defect-rag/servers';
export {
  listRuns,
  getRun,
  runProblems,
  listDatasets,
  getDataset,
  getDatasetByName,
  notACursor,
  pingDatabase,
} from './catalog';
export { checkDatasetLocation, checkDatasetRoot, checkRepoint } from './dataset-roots';
export {
  withRun,
  openRun,
  withDatasetLock,
  withLockOf,
  type ActiveRun,
  type DatasetRegistration,
  type RunHooks,
  type RunSpec,
} from './run';
export { RunRecorder } from './recorder';
export { currentOwner, isOwnerGone, HEARTBEAT_STALE_MS } from './owner';
export type {
  AnalystLabelRecord,
  DatasetRecord,
  RunRecord,
  RunProblemRecord,
  RunFilter,
  RunKind,
  RunStatus,
  Page,
  PageRequest,
} from '@defect-rag/db';
export { pingQdrant, type QdrantInfo } from '@defect-rag/vector-store';

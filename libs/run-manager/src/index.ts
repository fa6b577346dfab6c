export { RunManager, registerDataset, type IngestionRunOptions, type EvaluationRunOptions } from './manager';

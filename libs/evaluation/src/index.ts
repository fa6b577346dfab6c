export { evaluateDataset, type EvaluateOptions, type EvaluateHooks, type EvaluationSummary } from './evaluate';
export {
  RANDOM_MODEL_WARNING,
  type EvaluationReport,
  type EvaluationMetrics,
  type EvaluationFiles,
  type RankingRow,
  type TypeRow,
} from './report';
export type { ConfigurationResult, SearchMetrics } from './protocol';
export type { MetricSet, CriterionMetrics, DamageConfusion, ByK, TypeConfusion } from './scoring';
export type { SourceResult } from './sources';
export type { ControlSourceResult } from './control';

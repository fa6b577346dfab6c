export { evaluateDataset, type EvaluateOptions, type EvaluateHooks, type EvaluationSummary } from './evaluate';
export {
  RANDOM_MODEL_WARNING,
  type EvaluationReport,
  type EvaluationMetrics,
  type EvaluationFiles,
  type RankingRow,
} from './report';
export type { ConfigurationResult, SearchMetrics } from './protocol';
export type { MetricSet, CriterionMetrics, DamageConfusion, ByK } from './scoring';

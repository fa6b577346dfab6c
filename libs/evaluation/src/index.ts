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
// The evaluation's own measures, for tools/similarity (vectors computed outside an index).
export { agreementAtOne, planControlWindows, CONTROL_SEED, type AgreementItem } from './control';
export { scoreQuery, RelevantCounts } from './scoring';
export { memoryRetriever, type EvaluationCrop } from './retrieval';
export { hubness } from './metrics';
export { trivialFeatures } from './features';
export { sourceNamer } from './sources';
export {
  discoveryPrecision,
  discoveryRanking,
  formatDiscoveryMarkdown,
  hiddenDefectTypes,
  measureDiscovery,
  randomDiscovery,
  unlabelledView,
  DISCOVERY_OVERLAP,
  type DiscoveryOptions,
  type DiscoveryQuery,
  type DiscoveryReport,
  type DiscoveryRow,
  type DiscoveryWindow,
} from './discovery';
export { adaptModel, adapterLabels, type AdaptOptions, type AdaptResult } from './adapt';

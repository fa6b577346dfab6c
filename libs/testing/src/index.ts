export {
  copySampleSubset,
  IMAGE_ONLY_TEST_MODEL_ID,
  imageNetModelOrSkip,
  imageOnlyTestModel,
  PAIR_TEST_MODEL_ID,
  pairTestModel,
  sharedPathOrSkip,
  sampleDatasetOrSkip,
} from './shared';
export { startTestServers, type TestServers } from './servers';
export { startTestQdrant, startTestQdrantCluster, type TestQdrant, type TestQdrantCluster } from './qdrant';
export { startTestPostgres, type TestPostgres } from './postgres';
export {
  POSTGRES_IMAGE,
  QDRANT_IMAGE,
  testServerKind,
  type ServerKindOptions,
  type TestServerKind,
} from './containers';

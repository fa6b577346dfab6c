export { copySampleSubset, imageNetModelOrSkip, sharedPathOrSkip, sampleDatasetOrSkip } from './shared';
export { startTestServers, type TestServers } from './servers';
export { startTestQdrant, startTestQdrantCluster, type TestQdrant, type TestQdrantCluster } from './qdrant';
export { startTestPostgres, type TestPostgres } from './postgres';

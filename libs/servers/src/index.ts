export type { EmbeddedServer } from './embedded-server';
export { startEmbeddedPostgres, type EmbeddedPostgresOptions } from './postgres';
export {
  startEmbeddedQdrant,
  qdrantBinaryInfo,
  verifyQdrantBinary,
  type EmbeddedQdrantOptions,
  type QdrantBinary,
  type QdrantBinaryInfo,
} from './qdrant';
export { startQdrantCluster, type QdrantCluster, type QdrantClusterOptions } from './qdrant-cluster';
export { startServices, type Services } from './services';
export { findStrayServers, stopStrayServer, type StrayServer } from './server-users';

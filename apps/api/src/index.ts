// type-graphql reads its decorators through reflect-metadata, which must load before any of them run.
import 'reflect-metadata';

export { createApiServer, type ApiServer, type ApiServerOptions } from './server';
export { buildApiSchema, printApiSchema } from './schema';
export { MAX_QUERY_COST, MAX_QUERY_DEPTH } from './limits';
export type { ApiErrorCode } from './errors';
export type { HealthReport, ComponentHealth } from './health';

import { DefectRagError } from '@defect-rag/runtime';

/**
 * What the tests run against: `embedded` (the default, and what CI uses) starts PostgreSQL and
 * Qdrant from node_modules; `containers` (DEFECT_RAG_TEST_SERVERS=containers) runs the official
 * `postgres` and `qdrant/qdrant` images through testcontainers, the versions docker-compose.yml
 * and the embedded servers use.
 */
export type TestServerKind = 'embedded' | 'containers';

export const POSTGRES_IMAGE = 'postgres:18.1';
export const QDRANT_IMAGE = 'qdrant/qdrant:v1.16.3';

export interface ServerKindOptions {
  env?: NodeJS.ProcessEnv;
  /** Resolves when a Docker engine answers, rejects otherwise (testcontainers' own detection by default). */
  probe?: () => Promise<unknown>;
  /** Where the one-line fallback message goes. */
  warn?: (line: string) => void;
}

/**
 * The kind DEFECT_RAG_TEST_SERVERS asks for, or `embedded` with a one-line message on stderr when
 * it asks for containers and no Docker engine answers.
 */
export async function testServerKind({
  env = process.env,
  probe = findContainerRuntime,
  warn = (line) => console.warn(line),
}: ServerKindOptions = {}): Promise<TestServerKind> {
  const wanted = env.DEFECT_RAG_TEST_SERVERS?.trim() || 'embedded';
  if (wanted !== 'embedded' && wanted !== 'containers') {
    throw new DefectRagError(
      'CONFIG_INVALID',
      `DEFECT_RAG_TEST_SERVERS=${JSON.stringify(wanted)}: expected "embedded" (the default) or "containers"`,
    );
  }
  if (wanted === 'embedded') return 'embedded';
  try {
    await probe();
    return 'containers';
  } catch (error) {
    warn(
      `DEFECT_RAG_TEST_SERVERS=containers: no Docker engine found (${(error as Error).message}); using the embedded servers`,
    );
    return 'embedded';
  }
}

let kind: Promise<TestServerKind> | undefined;

/** `testServerKind()` of this process, decided (and its message written) once. */
export function currentTestServerKind(): Promise<TestServerKind> {
  kind ??= testServerKind();
  return kind;
}

// testcontainers (and dockerode under it) is loaded only when containers are asked for.
async function findContainerRuntime(): Promise<unknown> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  return getContainerRuntimeClient();
}

export interface ContainerServer {
  url: string;
  stop(): Promise<void>;
}

/** The official PostgreSQL image with an empty `defect_rag` database; `url` as the embedded server's. */
export async function startPostgresContainer(): Promise<ContainerServer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const password = 'defect-rag-test';
  const container = await new GenericContainer(POSTGRES_IMAGE)
    .withEnvironment({ POSTGRES_USER: 'postgres', POSTGRES_PASSWORD: password, POSTGRES_DB: 'defect_rag' })
    .withExposedPorts(5432)
    // The image's entrypoint starts the server once to run its init scripts, then again for good.
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  return {
    url: `postgresql://postgres:${password}@${container.getHost()}:${container.getMappedPort(5432)}/defect_rag`,
    stop: async () => {
      await container.stop();
    },
  };
}

/** The official Qdrant image, ready (`/readyz`) on a mapped port. */
export async function startQdrantContainer(): Promise<ContainerServer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer(QDRANT_IMAGE)
    .withExposedPorts(6333)
    .withWaitStrategy(Wait.forHttp('/readyz', 6333))
    .start();
  return {
    url: `http://${container.getHost()}:${container.getMappedPort(6333)}`,
    stop: async () => {
      await container.stop();
    },
  };
}

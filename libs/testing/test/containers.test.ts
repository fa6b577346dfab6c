import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startTestPostgres, startTestQdrant, testServerKind } from '../src';

/** No socket and no DOCKER_HOST: testcontainers can find no engine here. */
const dockerless = !existsSync('/var/run/docker.sock') && !process.env.DOCKER_HOST;
const noEngine = () => Promise.reject(new Error('Could not find a working container runtime strategy'));

describe('testServerKind', () => {
  it('is embedded by default and refuses any other value than embedded or containers, naming the variable', async () => {
    const probe = vi.fn(noEngine);
    expect(await testServerKind({ env: {}, probe })).toBe('embedded');
    expect(await testServerKind({ env: { DEFECT_RAG_TEST_SERVERS: 'embedded' }, probe })).toBe('embedded');
    expect(probe).not.toHaveBeenCalled();
    await expect(testServerKind({ env: { DEFECT_RAG_TEST_SERVERS: 'docker' }, probe })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: 'DEFECT_RAG_TEST_SERVERS="docker": expected "embedded" (the default) or "containers"',
    });
  });

  it('asked for containers: containers when a Docker engine answers, else one line saying so and the embedded servers', async () => {
    const env = { DEFECT_RAG_TEST_SERVERS: 'containers' };
    const warn = vi.fn();
    expect(await testServerKind({ env, probe: () => Promise.resolve({}), warn })).toBe('containers');
    expect(warn).not.toHaveBeenCalled();
    expect(await testServerKind({ env, probe: noEngine, warn })).toBe('embedded');
    expect(warn.mock.calls).toEqual([
      [
        'DEFECT_RAG_TEST_SERVERS=containers: no Docker engine found (Could not find a working container runtime strategy); using the embedded servers',
      ],
    ]);
  });

  it.runIf(dockerless)(
    "finds no engine with testcontainers' own detection on a machine without a Docker socket",
    async () => {
      const warn = vi.fn();
      expect(await testServerKind({ env: { DEFECT_RAG_TEST_SERVERS: 'containers' }, warn })).toBe('embedded');
      expect(warn).toHaveBeenCalledWith(
        expect.stringMatching(
          /^DEFECT_RAG_TEST_SERVERS=containers: no Docker engine found \(.+\); using the embedded servers$/,
        ),
      );
    },
  );
});

describe('DEFECT_RAG_TEST_SERVERS=containers', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('starts servers that answer: containers with a Docker engine, else the embedded ones after saying so once', async () => {
    vi.stubEnv('DEFECT_RAG_TEST_SERVERS', 'containers');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const qdrant = await startTestQdrant();
    const postgres = await startTestPostgres();
    try {
      expect((await fetch(`${qdrant.url}/readyz`)).status).toBe(200);
      const client = new pg.Client({ connectionString: await postgres.createDatabase('containers_check') });
      await client.connect();
      try {
        expect((await client.query<{ answer: number }>('SELECT 6 * 7 AS answer')).rows).toEqual([{ answer: 42 }]);
      } finally {
        await client.end();
      }
      const fellBack = warn.mock.calls.filter(([line]) =>
        String(line).startsWith('DEFECT_RAG_TEST_SERVERS=containers'),
      );
      // Decided once per process: one line however many servers start, and only without an engine.
      expect(fellBack).toHaveLength(dockerless ? 1 : 0);
    } finally {
      await Promise.all([qdrant.stop(), postgres.stop()]);
    }
  }, 180_000);
});

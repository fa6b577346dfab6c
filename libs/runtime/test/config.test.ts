import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiDatasetRoots, DefectRagError, loadConfig } from '../src';

describe('loadConfig', () => {
  it('has defaults that start everything embedded under .data/', () => {
    const config = loadConfig({}, { cwd: '/srv/app', dotenv: false });
    expect(config).toMatchObject({
      databaseUrl: undefined,
      qdrantUrl: undefined,
      dataDir: '/srv/app/.data',
      modelDir: '/srv/app/models/tiny-clip',
      apiPort: 4000,
      postgresPort: 0,
      qdrantPort: 0,
      apiKeys: [],
      logLevel: 'info',
    });
  });

  it('reads URLs, ports and keys, treating empty values as unset', () => {
    const config = loadConfig(
      {
        DATABASE_URL: 'postgresql://u:p@db:5432/x',
        QDRANT_URL: 'http://qdrant:6333',
        QDRANT_API_KEY: '',
        DEFECT_RAG_API_PORT: '8080',
        DEFECT_RAG_API_KEYS: 'a, b,,c',
        DEFECT_RAG_DATA_DIR: '/var/lib/defect-rag',
      },
      { cwd: '/srv/app', dotenv: false },
    );
    expect(config.databaseUrl).toBe('postgresql://u:p@db:5432/x');
    expect(config.qdrantUrl).toBe('http://qdrant:6333');
    expect(config.qdrantApiKey).toBeUndefined();
    expect(config.apiPort).toBe(8080);
    expect(config.apiKeys).toEqual(['a', 'b', 'c']);
    expect(config.dataDir).toBe('/var/lib/defect-rag');
  });

  it('keeps the hardening switches closed by default, and resolves dataset roots against cwd', () => {
    const defaults = loadConfig({}, { cwd: '/srv/app', dotenv: false });
    expect(defaults).toMatchObject({ stackTraces: false, apiAllowRemoteWithoutKeys: false, datasetRoots: undefined });
    expect(apiDatasetRoots(defaults)).toEqual(['/srv/app/.data/datasets']);
    const rooted = loadConfig({ DEFECT_RAG_DATASET_ROOTS: '/data/a:relative/b:' }, { cwd: '/srv/app', dotenv: false });
    expect(rooted.datasetRoots).toEqual(['/data/a', '/srv/app/relative/b']);
    expect(apiDatasetRoots(rooted)).toEqual(rooted.datasetRoots);
  });

  it('reads how new collections store vectors: quantization, on-disk originals, HNSW m / ef_construct / ef', () => {
    const defaults = loadConfig({}, { dotenv: false });
    expect(defaults.qdrantIndex).toEqual({ quantization: 'none', onDisk: false, hnswM: 16, hnswEfConstruct: 100 });
    expect(defaults.qdrantHnswEf).toBe(512);
    const large = loadConfig(
      {
        DEFECT_RAG_QDRANT_QUANTIZATION: 'int8',
        DEFECT_RAG_QDRANT_ON_DISK: 'true',
        DEFECT_RAG_QDRANT_HNSW_M: '32',
        DEFECT_RAG_QDRANT_HNSW_EF_CONSTRUCT: '200',
        DEFECT_RAG_QDRANT_HNSW_EF: '128',
      },
      { dotenv: false },
    );
    expect(large.qdrantIndex).toEqual({ quantization: 'int8', onDisk: true, hnswM: 32, hnswEfConstruct: 200 });
    expect(large.qdrantHnswEf).toBe(128);
    expect(() =>
      loadConfig({ DEFECT_RAG_QDRANT_QUANTIZATION: 'pq', DEFECT_RAG_QDRANT_HNSW_EF: '0' }, { dotenv: false }),
    ).toThrow(/DEFECT_RAG_QDRANT_QUANTIZATION="pq"[\s\S]*DEFECT_RAG_QDRANT_HNSW_EF="0"/);
  });

  it('names every bad variable and its value in one CONFIG_INVALID error', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://x', DEFECT_RAG_API_PORT: '99999', LOG_LEVEL: 'loud' }, { dotenv: false });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DefectRagError);
    expect((error as DefectRagError).code).toBe('CONFIG_INVALID');
    const message = (error as Error).message;
    expect(message).toContain('DATABASE_URL="mysql://x": must start with postgres:// or postgresql://');
    expect(message).toContain('DEFECT_RAG_API_PORT="99999"');
    expect(message).toContain('LOG_LEVEL="loud"');
  });

  it('reads an optional .env file, with the environment taking precedence', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'config-'));
    writeFileSync(path.join(dir, '.env'), 'DEFECT_RAG_API_PORT=5000\nQDRANT_URL=http://from-file:6333\n');
    const config = loadConfig({ ...process.env, QDRANT_URL: 'http://from-env:6333' }, { cwd: dir, dotenv: true });
    expect(config.apiPort).toBe(5000);
    expect(config.qdrantUrl).toBe('http://from-env:6333');
  });
});

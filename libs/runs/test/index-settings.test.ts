import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServers, type TestServers } from '@defect-rag/testing';
import { createLogger, loadConfig, workspaceRoot } from '@defect-rag/runtime';
import { openBackend, type Backend } from '../src';
import { tinyModelDir } from './helpers';

describe('DEFECT_RAG_QDRANT_* index settings', () => {
  let servers: TestServers;
  let backend: Backend;

  beforeAll(async () => {
    servers = await startTestServers();
    const config = loadConfig(
      {
        DATABASE_URL: servers.databaseUrl,
        QDRANT_URL: servers.qdrantUrl,
        DEFECT_RAG_QDRANT_QUANTIZATION: 'int8',
        DEFECT_RAG_QDRANT_ON_DISK: 'true',
        DEFECT_RAG_QDRANT_HNSW_M: '8',
        DEFECT_RAG_QDRANT_HNSW_EF_CONSTRUCT: '48',
        DEFECT_RAG_MODEL_DIR: tinyModelDir,
        DEFECT_RAG_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'defect-rag-index-settings-')),
      },
      { cwd: workspaceRoot, dotenv: false },
    );
    backend = await openBackend(config, createLogger('silent'));
  }, 180_000);

  afterAll(async () => {
    await backend?.close();
    await servers?.stop();
  });

  it('a new collection is made with the configured quantization, on-disk originals and HNSW graph', async () => {
    const collection = await backend.collection(await backend.embedder());
    const info = (await (await fetch(`${servers.qdrantUrl}/collections/${collection}`)).json()) as {
      result: {
        config: { params: { vectors: Record<string, unknown> }; hnsw_config: unknown; quantization_config: unknown };
      };
    };
    const { config } = info.result;
    for (const kind of ['fused', 'image', 'text']) expect(config.params.vectors[kind]).toMatchObject({ on_disk: true });
    expect(config.hnsw_config).toMatchObject({ m: 8, ef_construct: 48 });
    expect(config.quantization_config).toMatchObject({ scalar: { type: 'int8', always_ram: true } });
  });
});

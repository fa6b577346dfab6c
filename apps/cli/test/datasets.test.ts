import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackend, type Backend } from '@defect-rag/runs';
import { createLogger, loadConfig, workspaceRoot } from '@defect-rag/runtime';
import { copySampleSubset, sampleDatasetOrSkip, startTestServers, type TestServers } from '@defect-rag/testing';

const sample = sampleDatasetOrSkip();
const bin = path.join(workspaceRoot, 'apps', 'cli', 'bin', 'defect-rag.mjs');
const tinyModelDir = path.join(workspaceRoot, 'models', 'tiny-clip');

describe.skipIf(!sample)('defect-rag crops → contexts → embed → index, then datasets delete', () => {
  let servers: TestServers;
  let backend: Backend;
  let env: NodeJS.ProcessEnv;
  let datasetDir: string;
  let outDir: string;

  const cli = (...args: string[]) => {
    const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  beforeAll(async () => {
    servers = await startTestServers();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'defect-rag-cli-datasets-'));
    await chmod(dataDir, 0o755);
    env = {
      ...process.env,
      DATABASE_URL: servers.databaseUrl,
      QDRANT_URL: servers.qdrantUrl,
      DEFECT_RAG_DATA_DIR: dataDir,
      DEFECT_RAG_MODEL_DIR: tinyModelDir,
      LOG_LEVEL: 'warn',
    };
    backend = await openBackend(loadConfig(env, { dotenv: false }), createLogger('silent'));
    const polygons = JSON.parse(readFileSync(path.join(sample!, 'poligonos.json'), 'utf8')) as Record<string, unknown>;
    datasetDir = copySampleSubset(
      sample!,
      Object.keys(polygons)
        .map((file) => file.replace(/\.jpg$/, ''))
        .sort()
        .slice(0, 2),
    );
    outDir = mkdtempSync(path.join(os.tmpdir(), 'defect-rag-cli-phases-'));
  }, 120_000);

  afterAll(async () => {
    await backend?.close();
    await servers?.stop();
  });

  it('index loads what embed wrote; delete refuses without --yes, then deletes with it', async () => {
    for (const args of [
      ['crops', datasetDir, '--out', outDir],
      ['contexts', outDir],
      ['embed', outDir],
    ]) {
      const step = cli(...args);
      expect(step.code, step.stderr).toBe(0);
    }
    const index = JSON.parse(readFileSync(path.join(outDir, 'embeddings', 'index.json'), 'utf8')) as { count: number };

    const indexed = cli('index', outDir, '--json');
    // `crops` names the dataset after its folder.
    const name = path.basename(datasetDir);
    expect(indexed.code, indexed.stderr).toBe(0);
    const summary = JSON.parse(indexed.stdout) as { datasetId: string; collection: string; points: number };
    expect(summary.points).toBe(index.count);
    expect(await backend.vectorStore.count(summary.collection, { datasetId: summary.datasetId })).toBe(index.count);

    const refused = cli('datasets', 'delete', name);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('not deleting without --yes');
    expect(refused.stderr).toContain(`${index.count} points in ${summary.collection}`);
    expect(refused.stderr).toContain('1 run(s)');
    expect(await backend.vectorStore.count(summary.collection, { datasetId: summary.datasetId })).toBe(index.count);

    const deleted = cli('datasets', 'delete', name, '--yes');
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`${index.count} points in ${summary.collection}`);
    expect(await backend.vectorStore.count(summary.collection, { datasetId: summary.datasetId })).toBe(0);
    expect(await backend.db.datasets.findByName(name)).toBeNull();
    expect(existsSync(backend.cropsDir(summary.datasetId))).toBe(false);
    // The phase folders and the photos are the user's: they stay.
    expect(readdirSync(path.join(outDir, 'embeddings'))).toContain('index.json');
    expect(readdirSync(path.join(datasetDir, 'images'))).toHaveLength(2);

    const unknown = cli('datasets', 'delete', name, '--yes');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`error [DATASET_NOT_FOUND]: no dataset named "${name}"`);
  }, 300_000);
});

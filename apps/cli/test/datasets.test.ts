import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBackend, type Backend } from '@defect-rag/runs';
import { createLogger, loadConfig, workspaceRoot } from '@defect-rag/runtime';
import {
  copySampleSubset,
  imageOnlyTestModel,
  sampleDatasetOrSkip,
  startTestServers,
  type TestServers,
} from '@defect-rag/testing';

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
    ]) {
      const step = cli(...args);
      expect(step.code, step.stderr).toBe(0);
    }
    // embed names the files it wrote: an image-only model writes image vectors alone.
    const imageOnly = cli('embed', outDir, '--model', imageOnlyTestModel());
    expect(imageOnly.code, imageOnly.stderr).toBe(0);
    expect(imageOnly.stdout).toContain('/ (image.f32, index.json)');
    expect(readdirSync(path.join(outDir, 'embeddings')).sort()).toEqual(['image.f32', 'index.json']);
    const embedded = cli('embed', outDir);
    expect(embedded.code, embedded.stderr).toBe(0);
    expect(embedded.stdout).toContain('/ (image.f32, text.f32, fused.f32, index.json)');
    const index = JSON.parse(readFileSync(path.join(outDir, 'embeddings', 'index.json'), 'utf8')) as { count: number };

    const indexed = cli('index', outDir, '--json');
    // `crops` names the dataset after its folder.
    const name = path.basename(datasetDir);
    expect(indexed.code, indexed.stderr).toBe(0);
    const summary = JSON.parse(indexed.stdout) as { datasetId: string; collection: string; points: number };
    expect(summary.points).toBe(index.count);
    expect(await backend.vectorStore.count(summary.collection, { datasetId: summary.datasetId })).toBe(index.count);
    // Counted as ingest counts: both sample photos have damage.
    const listed = cli('datasets');
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`${name.padEnd(24)} 2 images (2 damaged), ${index.count} crops`);

    // A zone, area or damage type the taxonomy does not know is bad input (exit 2), naming the known ones.
    const typo = cli('search', '--text', 'dent', '--zone', 'sidee', '--type', 'dnt');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('error [BAD_INPUT]: zones: unknown zone "sidee" (known: front, rear,');
    expect(typo.stderr).toContain('damageTypes: unknown damage type "dnt" (known: scratch,');
    expect(cli('search', '--text', 'dent', '--zone', 'side').code).toBe(0);

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

  it('ends an ingestion with search hints that name its model and work as printed', () => {
    const model = imageOnlyTestModel();
    const ingested = cli('ingest', datasetDir, '--name', 'hints', '--model', model);
    expect(ingested.code, ingested.stderr).toBe(0);
    // An image-only model (not the default, DEFECT_RAG_MODEL_DIR) gets a search by one of its crops.
    const hint = /^ {2}npx defect-rag (search .*)$/m.exec(ingested.stdout)?.[1];
    expect(hint).toMatch(
      new RegExp(`^search --crop-id \\S+ --model ${path.relative(process.cwd(), model)} --limit 5$`),
    );
    const searched = cli(...hint!.split(' '), '--json');
    expect(searched.code, searched.stderr).toBe(0);
    expect((JSON.parse(searched.stdout) as { items: unknown[] }).items.length).toBeGreaterThan(0);
  }, 300_000);
});

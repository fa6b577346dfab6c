import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDefectLabel, demoDatasetStage, ingestDataset } from '@defect-rag/ingestion';
import { openBackend, type Backend } from '@defect-rag/runs';
import { getPhoto } from '@defect-rag/search';
import { createLogger, loadConfig, workspaceRoot } from '@defect-rag/runtime';
import { startTestServers, type TestServers } from '@defect-rag/testing';

const bin = path.join(workspaceRoot, 'apps', 'cli', 'bin', 'defect-rag.mjs');
const tinyModelDir = path.join(workspaceRoot, 'models', 'tiny-clip');

describe('defect-rag labels export (demo dataset, tiny-clip: random weights)', () => {
  let servers: TestServers;
  let backend: Backend;
  let env: NodeJS.ProcessEnv;
  let root: string;
  let photoId: string;

  const cli = (...args: string[]) => {
    const result = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  beforeAll(async () => {
    servers = await startTestServers();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'defect-rag-cli-labels-'));
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
    root = (await demoDatasetStage({ outDir: path.join(dataDir, 'demo'), images: 2 })).root;
    await ingestDataset(backend, { datasetDir: root, name: 'demo' });
    // demo_002 is clean; its id by the rule of `imageId` (@defect-rag/dataset): stem + hash of (name, path).
    photoId = `photo:demo_002-${createHash('sha256').update('demo\0images/demo_002.jpg').digest('hex').slice(0, 8)}`;
    expect((await getPhoto(backend, photoId)).hasDamage).toBe(false);
    await addDefectLabel(
      backend,
      {
        photoId,
        damageType: 'dent',
        polygon: [
          [20, 20],
          [120, 30],
          [100, 110],
          [30, 90],
        ],
      },
      'local',
    );
  }, 120_000);

  afterAll(async () => {
    await backend?.close();
    await servers?.stop();
  });

  it('writes merged LabelMe files outside the dataset, which the next ingest reads', async () => {
    const inside = cli('labels', 'export', 'demo', '--out', path.join(root, 'annotations'));
    expect(inside.code).toBe(2);
    expect(inside.stderr).toContain('never overwritten');

    // A copy of the photos and polygons, with the exported files written beside them.
    const copy = mkdtempSync(path.join(os.tmpdir(), 'defect-rag-cli-labelled-'));
    cpSync(root, copy, { recursive: true });
    const exported = cli('labels', 'export', 'demo', '--out', copy, '--json');
    expect(exported.code, exported.stderr).toBe(0);
    const written = JSON.parse(exported.stdout) as { files: string[]; photos: number; labels: number };
    expect(written).toEqual({
      files: [path.join(copy, 'annotations', 'demo_002_labelDANO_modificado.json')],
      photos: 1,
      labels: 1,
    });
    expect(existsSync(path.join(root, 'annotations', 'demo_002_labelDANO_modificado.json'))).toBe(false);
    const file = JSON.parse(readFileSync(written.files[0]!, 'utf8')) as { shapes: { label: string }[] };
    expect(file.shapes.map((shape) => shape.label)).toEqual(['dent']);

    const ingested = cli('ingest', copy, '--name', 'demo-labelled', '--json');
    expect(ingested.code, ingested.stderr).toBe(0);
    const summary = JSON.parse(ingested.stdout) as { images: number; crops: { damage: number }; problems: unknown[] };
    expect(summary.problems).toEqual([]);
    const labelledId = `photo:demo_002-${createHash('sha256').update('demo-labelled\0images/demo_002.jpg').digest('hex').slice(0, 8)}`;
    const photo = await getPhoto(backend, labelledId);
    expect(photo.hasDamage).toBe(true);
    expect(photo.damageTypes).toEqual(['dent']);
  }, 120_000);
});

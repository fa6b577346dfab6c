import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { afterAll, describe, expect, it } from 'vitest';
import { cropsStage, demoDatasetStage } from '@defect-rag/ingestion';
import { workspaceRoot } from '@defect-rag/runtime';

/**
 * The README a newcomer reads: short, its links lead somewhere, and the crop and photo ids its
 * examples (and the docs pages') use exist after `npx defect-rag demo`.
 */
const README = path.join(workspaceRoot, 'README.md');
const DOCS = path.join(workspaceRoot, 'docs');
const pages = [
  README,
  ...readdirSync(DOCS)
    .filter((file) => file.endsWith('.md'))
    .map((file) => path.join(DOCS, file)),
];
const tmp = mkdtempSync(path.join(tmpdir(), 'defect-rag-readme-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the README', () => {
  it('reads in five minutes: at most 350 lines', () => {
    expect(readFileSync(README, 'utf8').split('\n').length).toBeLessThanOrEqual(350);
  });

  it('and the docs pages link only to files that exist', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const [, target] of readFileSync(page, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!) || target!.startsWith('#')) continue;
        const file = path.resolve(path.dirname(page), target!.split('#')[0]!);
        if (!existsSync(file)) broken.push(`${path.relative(workspaceRoot, page)} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('states the Node versions package.json declares, which every locked package accepts but nsfwjs', () => {
    const { engines } = JSON.parse(readFileSync(path.join(workspaceRoot, 'package.json'), 'utf8')) as {
      engines: { node: string };
    };
    expect(engines.node).toBe('^22.20.0 || >=24.12.0');
    expect(readFileSync(README, 'utf8')).toContain('**Node 22.20+ or 24.12+**');
    const lock = JSON.parse(readFileSync(path.join(workspaceRoot, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { engines?: { node?: string } | string[]; os?: string[]; cpu?: string[] }>;
    };
    for (const version of ['22.20.0', '24.12.0']) {
      const refusing = Object.entries(lock.packages)
        .filter(([name, entry]) => name !== '' && !entry.os?.every((os) => os !== 'linux'))
        .filter(([, entry]) => !entry.cpu?.every((cpu) => cpu !== 'x64'))
        .filter(([, entry]) => {
          const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
          return range !== undefined && !semver.satisfies(version, range);
        })
        .map(([name]) => name);
      // nsfwjs@4.4.0 names exactly 22.13.0; the README says so.
      expect(refusing, version).toEqual(['node_modules/nsfwjs']);
    }
  });

  it("and the docs pages use only crop and photo ids that the demo's ingestion makes", async () => {
    // The demo generates its seeded dataset into <data dir>/demo-dataset; ids derive from the
    // dataset's name and the crops' content, so phase 1 alone gives the ids ingestion gives.
    const datasetDir = path.join(tmp, 'demo-dataset');
    await demoDatasetStage({ outDir: datasetDir });
    const { metadataFile } = await cropsStage({ datasetDir, outDir: path.join(tmp, 'crops') });
    const { crops } = JSON.parse(readFileSync(metadataFile, 'utf8')) as {
      crops: { crop_id: string; image_id: string }[];
    };
    const known = new Set([...crops.map((crop) => crop.crop_id), ...crops.map((crop) => `photo:${crop.image_id}`)]);
    const used = pages.flatMap((page) =>
      [...readFileSync(page, 'utf8').matchAll(/(?:photo:)?demo_\d{3}[\w-]*[0-9a-f]{8}/g)].map(([id]) => id),
    );
    expect(used.length).toBeGreaterThan(3);
    expect(used.filter((id) => !known.has(id))).toEqual([]);
  }, 120_000);
});

import { cpSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { seededShuffle } from '@defect-rag/dataset';
import { copySampleSubset } from '@defect-rag/testing';

/**
 * A seeded subset of the typed set (`photosPerSource` photos of each source, by file stem prefix),
 * with its taxonomy, in a temporary folder: the same photos for the same seed.
 */
export function typedSubset(root: string, photosPerSource: Readonly<Record<string, number>>, seed: string): string {
  const stems = readdirSync(path.join(root, 'images'))
    .map((file) => path.basename(file, path.extname(file)))
    .sort();
  const chosen = Object.entries(photosPerSource).flatMap(([source, count]) =>
    seededShuffle(
      stems.filter((stem) => stem.startsWith(`${source}_`)),
      seed,
    ).slice(0, count),
  );
  const dir = copySampleSubset(root, chosen);
  cpSync(path.join(root, 'taxonomy.yaml'), path.join(dir, 'taxonomy.yaml'));
  return dir;
}

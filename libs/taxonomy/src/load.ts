import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { DefectRagError } from '@defect-rag/runtime';
import {
  damageTypeSchema,
  taxonomyFileSchema,
  taxonomyOverrideSchema,
  type DamageType,
  type Taxonomy,
  type TaxonomyFile,
  type TaxonomyOverride,
} from './taxonomy';
import { validateTaxonomy } from './vocabulary';

/** The taxonomy shipped with defect-rag. */
export const DEFAULT_TAXONOMY_FILE = fileURLToPath(new URL('../taxonomy.default.yaml', import.meta.url));

/** The names a dataset's own taxonomy may have in the dataset root. */
const DATASET_TAXONOMY_FILES = ['taxonomy.yaml', 'taxonomy.yml'];

/**
 * The default taxonomy, or the default with `file` merged onto it (see the comment at the top of
 * taxonomy.default.yaml for the merge rules). Throws TAXONOMY_INVALID naming the file and key.
 */
export function loadTaxonomy(file?: string): Taxonomy {
  const base = readTaxonomyFile(DEFAULT_TAXONOMY_FILE, taxonomyFileSchema);
  if (!base) throw invalid(DEFAULT_TAXONOMY_FILE, 'the file is empty');
  let taxonomy = toTaxonomy(base, [DEFAULT_TAXONOMY_FILE]);
  if (file !== undefined) {
    const overrideFile = path.resolve(file);
    const override = readTaxonomyFile(overrideFile, taxonomyOverrideSchema) ?? {};
    taxonomy = toTaxonomy(mergeOverride(base, override, overrideFile), [DEFAULT_TAXONOMY_FILE, overrideFile]);
  }
  validateTaxonomy(taxonomy);
  return taxonomy;
}

/**
 * The taxonomy file that applies to a dataset: `override` (a `--taxonomy` option, or the file a
 * previous run recorded), else the dataset's own `taxonomy.yaml`, else undefined (the shipped
 * default alone). Pass the result to `loadTaxonomy`, or use `loadDatasetTaxonomy`.
 */
export function datasetTaxonomyFile(datasetDir: string, override?: string): string | undefined {
  return override ?? findDatasetTaxonomy(datasetDir) ?? undefined;
}

/** `loadTaxonomy(datasetTaxonomyFile(datasetDir, override))`. */
export function loadDatasetTaxonomy(datasetDir: string, override?: string): Taxonomy {
  return loadTaxonomy(datasetTaxonomyFile(datasetDir, override));
}

/** The dataset's own taxonomy file (`taxonomy.yaml` in its root), or null when it has none. */
export function findDatasetTaxonomy(datasetDir: string): string | null {
  for (const name of DATASET_TAXONOMY_FILES) {
    const candidate = path.join(datasetDir, name);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function readTaxonomyFile<S extends z.ZodType>(file: string, schema: S): z.infer<S> | null {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw invalid(file, `cannot read the file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(source);
  } catch (error) {
    throw invalid(file, `not valid YAML: ${(error as Error).message}`);
  }
  if (raw === null || raw === undefined) return null;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidIssues(file, parsed.error.issues);
  return parsed.data;
}

function mergeOverride(base: TaxonomyFile, override: TaxonomyOverride, file: string): TaxonomyFile {
  const damageTypes = base.damage_types.map((type) => ({ ...type }));
  (override.damage_types ?? []).forEach((entry, index) => {
    const existing = damageTypes.findIndex((type) => type.id === entry.id);
    const changes = Object.fromEntries(Object.entries(entry).filter(([, value]) => value !== undefined));
    if (existing >= 0) {
      damageTypes[existing] = { ...(damageTypes[existing] as DamageType), ...changes };
      return;
    }
    // A type the default does not have must be complete.
    const parsed = damageTypeSchema.safeParse(entry);
    if (!parsed.success) {
      throw invalidIssues(
        file,
        parsed.error.issues.map((issue) => ({ ...issue, path: ['damage_types', index, ...issue.path] })),
      );
    }
    damageTypes.push(parsed.data);
  });
  return {
    damage_types: damageTypes,
    zones: { ...base.zones, ...override.zones },
    areas: { ...base.areas, ...override.areas },
    parts: { ...base.parts, ...override.parts },
    descriptions: {
      damaged: override.descriptions?.damaged ?? base.descriptions.damaged,
      clean: override.descriptions?.clean ?? base.descriptions.clean,
      mixed: { ...base.descriptions.mixed, ...override.descriptions?.mixed },
    },
  };
}

function toTaxonomy(file: TaxonomyFile, sources: string[]): Taxonomy {
  return {
    sources,
    damageTypes: file.damage_types,
    zones: Object.entries(file.zones).map(([id, zone]) =>
      typeof zone === 'string' ? { id, name: zone, parent: null } : { id, ...zone },
    ),
    areas: Object.entries(file.areas).map(([id, name]) => ({ id, name })),
    parts: Object.entries(file.parts).map(([label, { zone, area }]) => ({ label, zone, area })),
    descriptions: file.descriptions,
  };
}

function invalid(file: string, message: string, key?: string): DefectRagError {
  const where = key ? `${file}: ${key}` : file;
  return new DefectRagError('TAXONOMY_INVALID', `Invalid taxonomy ${where}: ${message}`, { file, key });
}

function invalidIssues(file: string, issues: readonly z.core.$ZodIssue[]): DefectRagError {
  const lines = issues.slice(0, 10).map((issue) => `${formatKey(issue.path) || '(root)'}: ${issue.message}`);
  const first = issues[0];
  return new DefectRagError('TAXONOMY_INVALID', `Invalid taxonomy ${file}:\n  ${lines.join('\n  ')}`, {
    file,
    key: first ? formatKey(first.path) : undefined,
  });
}

/** `['damage_types', 2, 'name']` → `damage_types[2].name`. */
function formatKey(keyPath: readonly PropertyKey[]): string {
  return keyPath
    .map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`))
    .join('');
}

import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { DefectRagError } from './errors';

export interface ReadJsonOptions {
  /** What the file should be, for the message: `<file> is not <what>: …`. */
  what: string;
  /** Appended to the message when the file does not exist (e.g. which command writes it). */
  missingHint?: string;
}

/**
 * Reads a JSON file and validates it with `schema`. METADATA_INVALID naming the file when it
 * cannot be read, is not JSON, or does not match (with the key path of each mismatch, e.g.
 * `crops.0.text_description`).
 */
export async function readJsonFile<S extends z.ZodType>(
  file: string,
  schema: S,
  options: ReadJsonOptions,
): Promise<z.infer<S>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    const hint =
      options.missingHint && (error as NodeJS.ErrnoException).code === 'ENOENT' ? ` (${options.missingHint})` : '';
    throw new DefectRagError(
      'METADATA_INVALID',
      `cannot read ${file}: ${(error as Error).message}${hint}`,
      { file },
      { cause: error },
    );
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 10)
      .map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
    throw new DefectRagError('METADATA_INVALID', `${file} is not ${options.what}:\n  ${issues.join('\n  ')}`, {
      file,
    });
  }
  return parsed.data;
}

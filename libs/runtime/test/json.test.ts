import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonFile } from '../src';

const dir = mkdtempSync(path.join(tmpdir(), 'runtime-json-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const schema = z.object({ items: z.array(z.object({ id: z.string() })) });

describe('readJsonFile', () => {
  it('returns the validated contents', async () => {
    const file = path.join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify({ items: [{ id: 'a' }] }));
    await expect(readJsonFile(file, schema, { what: 'a list' })).resolves.toEqual({ items: [{ id: 'a' }] });
  });

  it('names the missing file, with the hint', async () => {
    const file = path.join(dir, 'missing.json');
    await expect(readJsonFile(file, schema, { what: 'a list', missingHint: 'write it first' })).rejects.toMatchObject({
      code: 'METADATA_INVALID',
      details: { file },
      message: expect.stringMatching(/missing\.json.*\(write it first\)$/),
    });
  });

  it('names the file and the key of a mismatch, and rejects bad JSON', async () => {
    const bad = path.join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ items: [{ id: 1 }] }));
    await expect(readJsonFile(bad, schema, { what: 'a list' })).rejects.toMatchObject({
      code: 'METADATA_INVALID',
      message: expect.stringMatching(/bad\.json is not a list:[\s\S]*items\.0\.id/),
    });
    const notJson = path.join(dir, 'not.json');
    writeFileSync(notJson, '{');
    await expect(readJsonFile(notJson, schema, { what: 'a list' })).rejects.toMatchObject({
      code: 'METADATA_INVALID',
      message: expect.stringContaining(`cannot read ${notJson}`),
    });
  });
});

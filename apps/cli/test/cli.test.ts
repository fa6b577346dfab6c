import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspaceRoot } from '@defect-rag/runtime';

const bin = path.join(workspaceRoot, 'apps', 'cli', 'bin', 'defect-rag.mjs');

function cli(...args: string[]) {
  const cwd = mkdtempSync(path.join(tmpdir(), 'defect-rag-cli-'));
  const result = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    cwd,
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, cwd };
}

describe('defect-rag', () => {
  it('lists every command in --help and prints the package version', () => {
    const help = cli('--help');
    expect(help.code).toBe(0);
    for (const command of [
      'demo',
      'doctor',
      'analyze',
      'split',
      'crops',
      'contexts',
      'embed',
      'index',
      'ingest',
      'worker',
      'evaluate',
      'search',
      'runs',
      'datasets',
      'serve',
      'mcp',
    ]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
    expect(cli('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('reports bad input as `error [CODE]: message` with exit code 2', () => {
    const missing = cli('analyze', '/no/such/dataset');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error [DATASET_NOT_FOUND]: dataset folder not found: /no/such/dataset');
  });

  it('refuses --batch-photos without --workers before starting anything', () => {
    const result = cli('ingest', '/no/such/dataset', '--batch-photos', '4');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error [BAD_INPUT]: --batch-photos is for a distributed run: give --workers too');
  });

  it('names a malformed search region before starting anything', () => {
    const result = cli('search', '--image', 'photo.jpg', '--region', '10,20,336');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error [BAD_INPUT]: --region must be x,y,width,height in pixels, got "10,20,336"');
  });

  it('refuses --labelled with --unlabelled before starting anything', () => {
    const result = cli('search', '--text', 'dent', '--labelled', '--unlabelled');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error [BAD_INPUT]: --labelled and --unlabelled exclude each other');
  });

  it('names a bad configuration value before doing anything', () => {
    const result = spawnSync(process.execPath, [bin, 'doctor'], {
      encoding: 'utf8',
      env: { ...process.env, DEFECT_RAG_API_PORT: 'eighty' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('error [CONFIG_INVALID]');
    expect(result.stderr).toContain('DEFECT_RAG_API_PORT="eighty"');
  });

  it('exits 3 when PostgreSQL cannot be reached, and prints the error object under --json', () => {
    // An existing folder: a missing one is refused before the database is reached.
    const dataset = mkdtempSync(path.join(tmpdir(), 'defect-rag-dataset-'));
    const result = spawnSync(process.execPath, [bin, 'ingest', dataset, '--json'], {
      encoding: 'utf8',
      cwd: mkdtempSync(path.join(tmpdir(), 'defect-rag-cli-')),
      env: {
        ...process.env,
        LOG_LEVEL: 'silent',
        DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none',
        QDRANT_URL: 'http://127.0.0.1:1',
      },
    });
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('error [DATABASE_UNAVAILABLE]');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(JSON.parse(result.stdout)).toEqual({
      error: { code: 'DATABASE_UNAVAILABLE', message: expect.stringContaining('PostgreSQL'), details: {} },
    });
  });

  it('refuses an unknown command with usage help', () => {
    const result = cli('frobnicate');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
  });

  it("exits 2 for commander's usage errors like every other bad input, 0 for help", () => {
    for (const [args, message] of [
      [['crops', '/some/dataset'], "required option '--out <dir>' not specified"],
      [['evaluate', '/some/dataset', '--k', 'many'], '--k'],
      [['search', '--text', 'dent', '--no-such-option'], "unknown option '--no-such-option'"],
      [['search', '--limit'], "option '--limit <k>' argument missing"],
    ] as const) {
      const result = cli(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain(message);
    }
    expect(cli('search', '--help').code).toBe(0);
  }, 120_000);

  it('refuses a port in use before starting any server, for serve and for the demo', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      for (const command of ['serve', 'demo']) {
        const result = cli(command, '--port', String(port));
        expect(result.code, command).toBe(2);
        expect(result.stderr).toContain(`error [CONFIG_INVALID]: port ${port} on 127.0.0.1 is in use`);
        // Nothing started: no embedded server and no demo dataset in the default data folder.
        expect(existsSync(path.join(result.cwd, '.data')), command).toBe(false);
      }
    } finally {
      taken.close();
    }
  }, 60_000);

  it('names the flags, not GraphQL fields, when a search says nothing to look for', () => {
    const result = cli('search', '--zone', 'front');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error [BAD_INPUT]: give at least one of --crop-id, --positive, --image or --text');
    expect(result.stderr).not.toContain('cropId');
  });
});

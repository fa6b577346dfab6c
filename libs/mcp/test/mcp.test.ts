import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestDataset } from '@defect-rag/ingestion';
import { listDatasets, openBackend, type Backend } from '@defect-rag/runs';
import { getCrop } from '@defect-rag/search';
import { createLogger, loadConfig, workspaceRoot } from '@defect-rag/runtime';
import { copySampleSubset, sampleDatasetOrSkip, startTestServers, type TestServers } from '@defect-rag/testing';

const sample = sampleDatasetOrSkip();
const bin = path.join(workspaceRoot, 'apps', 'cli', 'bin', 'defect-rag.mjs');
/** The client configuration docs/mcp.md shows: the stdio test starts the server with it. */
const clientConfigText = readFileSync(path.join(workspaceRoot, 'docs', 'mcp-client.json'), 'utf8');
const clientConfig = JSON.parse(clientConfigText) as {
  mcpServers: { 'defect-rag': { command: string; args: string[]; env: Record<string, string> } };
};
const API_KEY = 'mcp-test-key';
/** Over HTTP; stdio keeps the default, 10 MiB, whose base64 is more than the SDK's default stdio buffer. */
const MAX_UPLOAD_BYTES = 200_000;
const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;
const READ_TOOLS = [
  'browse_crops',
  'get_crop',
  'get_photo',
  'get_rag_context',
  'list_datasets',
  'list_models',
  'search_similar_defects',
  'zone_damage_table',
];

interface ToolError {
  error: { code: string; reason: string; message: string };
}

describe.skipIf(!sample)('the MCP server, through the SDK client', () => {
  let servers: TestServers;
  let backend: Backend;
  let env: Record<string, string>;
  let datasetDir: string;
  let photo: Buffer;

  beforeAll(async () => {
    servers = await startTestServers();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'defect-rag-mcp-'));
    await chmod(dataDir, 0o755);
    env = {
      DATABASE_URL: servers.databaseUrl,
      QDRANT_URL: servers.qdrantUrl,
      DEFECT_RAG_DATA_DIR: dataDir,
      DEFECT_RAG_MODEL_DIR: path.join(workspaceRoot, 'models', 'tiny-clip'),
      DEFECT_RAG_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      LOG_LEVEL: 'warn',
    };
    backend = await openBackend(loadConfig(env, { dotenv: false }), createLogger('silent'));
    const polygons = JSON.parse(readFileSync(path.join(sample!, 'poligonos.json'), 'utf8')) as Record<string, unknown>;
    const stems = Object.keys(polygons)
      .map((file) => file.replace(/\.jpg$/, ''))
      .sort()
      .slice(0, 3);
    datasetDir = copySampleSubset(sample!, stems);
    await ingestDataset(backend, { datasetDir, name: 'mcp-sample' });
    photo = readFileSync(path.join(datasetDir, 'images', readdirSync(path.join(datasetDir, 'images')).sort()[0]!));
  }, 300_000);

  afterAll(async () => {
    await backend?.close();
    await servers?.stop();
  });

  const call = async (client: Client, name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  const data = <T>(result: CallToolResult) => {
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy();
    return result.structuredContent as T;
  };
  const images = (result: CallToolResult) =>
    result.content.flatMap((content) => (content.type === 'image' ? [content] : []));

  /** Every read tool and resource, over whichever transport the client is connected by. */
  async function exercise(
    client: Client,
    { imageUrls, maxUploadBytes }: { imageUrls: boolean; maxUploadBytes: number },
  ) {
    const { resources } = await client.listResources();
    expect(resources.map(({ uri }) => uri).sort()).toEqual(['defect-rag://evaluations', 'defect-rag://taxonomy']);
    const taxonomy = JSON.parse(
      ((await client.readResource({ uri: 'defect-rag://taxonomy' })).contents[0] as { text: string }).text,
    ) as {
      damageTypes: { id: string; critical: boolean; synonyms: string[] }[];
      zones: { id: string; children: string[] }[];
    };
    expect(taxonomy.damageTypes.some(({ critical }) => critical)).toBe(true);
    expect(taxonomy.damageTypes.some(({ synonyms }) => synonyms.length > 0)).toBe(true);
    expect(taxonomy.zones.find(({ id }) => id === 'side')?.children).toEqual(
      expect.arrayContaining(['left_side', 'right_side']),
    );
    const evaluations = JSON.parse(
      ((await client.readResource({ uri: 'defect-rag://evaluations' })).contents[0] as { text: string }).text,
    ) as { datasets: { name: string; evaluation: unknown }[] };
    // Never evaluated: the agent is told so instead of being given a number.
    expect(evaluations.datasets).toEqual([expect.objectContaining({ name: 'mcp-sample', evaluation: null })]);

    const { models } = data<{ models: { id: string; randomWeights: boolean; isDefault: boolean }[] }>(
      await call(client, 'list_models'),
    );
    expect(models).toEqual([expect.objectContaining({ randomWeights: true, isDefault: true })]);
    const datasets = data<{ items: { id: string; name: string; cropCount: number }[] }>(
      await call(client, 'list_datasets'),
    );
    expect(datasets.items.map(({ name }) => name)).toEqual(['mcp-sample']);

    type Hit = {
      id: string;
      score: number;
      labels: string[];
      description: string;
      hasDamage: boolean;
      imageUrl?: string;
    };
    // An uploaded photo: the agent's question "what is like this?".
    const byImage = data<{ items: Hit[] }>(
      await call(client, 'search_similar_defects', { image: photo.toString('base64'), limit: 5 }),
    );
    expect(byImage.items).toHaveLength(5);
    for (const hit of byImage.items) {
      expect(hit.score).toBeGreaterThanOrEqual(-1);
      expect(hit.description).not.toBe('');
      if (imageUrls) expect(hit.imageUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/crops/`));
      else expect(hit.imageUrl).toBeUndefined();
    }
    const damaged = byImage.items.find(({ hasDamage }) => hasDamage) ?? byImage.items[0]!;
    const byRegion = data<{ items: Hit[] }>(
      await call(client, 'search_similar_defects', {
        image: photo.toString('base64'),
        region: { box: { x: 10, y: 10, width: 120, height: 90 } },
        filter: { hasDamage: true },
        onePerPhoto: true,
      }),
    );
    expect(byRegion.items.length).toBeGreaterThan(0);
    expect(byRegion.items.every(({ hasDamage }) => hasDamage)).toBe(true);
    expect(byRegion.items.some(({ labels }) => labels.length > 0)).toBe(true);
    const byText = data<{ items: Hit[] }>(
      await call(client, 'search_similar_defects', { text: 'scratch on the door', level: 'photo', limit: 2 }),
    );
    expect(byText.items.map(({ id }) => id.startsWith('photo:'))).toEqual([true, true]);
    const byCrop = data<{ items: Hit[] }>(await call(client, 'search_similar_defects', { cropId: damaged.id }));
    expect(byCrop.items.map(({ id }) => id)).not.toContain(damaged.id);

    // The context cites the crops it gives the images of, in the same order.
    const rag = await call(client, 'get_rag_context', {
      cropId: damaged.id,
      limit: 3,
      normalReferences: 1,
      images: true,
      format: 'markdown',
    });
    const { context, items } = data<{ context: string; items: { id: string; role: string }[] }>(rag);
    expect(items.filter(({ role }) => role === 'similar')).toHaveLength(3);
    for (const item of items) expect(context).toContain(item.id);
    expect(rag.content[0]).toEqual({ type: 'text', text: context });
    const ragImages = images(rag);
    expect(ragImages).toHaveLength(items.length);
    for (const [i, item] of items.entries())
      expect(
        Buffer.from(ragImages[i]!.data, 'base64').equals(readFileSync((await getCrop(backend, item.id)).file!)),
      ).toBe(true);

    const crop = await call(client, 'get_crop', { id: damaged.id });
    expect(data<{ id: string; defects: unknown[] }>(crop).id).toBe(damaged.id);
    const [cropImage] = images(crop);
    expect(cropImage!.mimeType).toBe('image/jpeg');
    const jpeg = Buffer.from(cropImage!.data, 'base64');
    expect(jpeg.equals(readFileSync((await getCrop(backend, damaged.id)).file!))).toBe(true);
    expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 336, height: 336 });

    const photoResult = await call(client, 'get_photo', { id: data<{ photoId: string }>(crop).photoId });
    const { photo: details } = data<{ photo: { width: number; height: number; cropIds: string[] } }>(photoResult);
    expect(details.cropIds).toContain(damaged.id);
    const photoImage = Buffer.from(images(photoResult)[0]!.data, 'base64');
    expect(await sharp(photoImage).metadata()).toMatchObject({ width: details.width, height: details.height });

    type Page = {
      items: { id: string; hasDamage: boolean }[];
      endCursor: string;
      hasNextPage: boolean;
      totalCount: number;
    };
    const first = data<Page>(await call(client, 'browse_crops', { filter: { hasDamage: true }, first: 2 }));
    expect(first.items).toHaveLength(2);
    expect(first.hasNextPage).toBe(true);
    const second = data<Page>(
      await call(client, 'browse_crops', { filter: { hasDamage: true }, first: 2, after: first.endCursor }),
    );
    expect(second.totalCount).toBe(first.totalCount);
    expect(second.items.map(({ id }) => id)).not.toContain(first.items[0]!.id);
    expect([...first.items, ...second.items].every(({ hasDamage }) => hasDamage)).toBe(true);

    const table = data<{
      damaged: number;
      zoneDamageTypes: { zone: string; damageType: string; count: number }[];
      byDamageType: { value: string; count: number }[];
    }>(await call(client, 'zone_damage_table', { datasetId: datasets.items[0]!.id }));
    expect(table.zoneDamageTypes.length).toBeGreaterThan(0);
    for (const { value, count } of table.byDamageType)
      expect(
        table.zoneDamageTypes.filter(({ damageType }) => damageType === value).reduce((sum, row) => sum + row.count, 0),
      ).toBe(count);

    // Bad arguments and failures come back as the GraphQL API codes them.
    const typed = async (args: Record<string, unknown>, name = 'search_similar_defects') => {
      const result = await call(client, name, args);
      expect(result.isError).toBe(true);
      const { error } = result.structuredContent as unknown as ToolError;
      expect(result.content[0]).toEqual({ type: 'text', text: `${error.code}: ${error.message}` });
      return error;
    };
    expect(await typed({ cropId: damaged.id, limit: 'ten' })).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('arguments.limit'),
    });
    expect(await typed({ cropId: damaged.id, limit: 1000 })).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(
      await typed({
        image: photo.toString('base64'),
        region: { box: { x: 0, y: 0, width: 9, height: 9 }, polygon: [] },
      }),
    ).toMatchObject({
      code: 'BAD_USER_INPUT',
      message: expect.stringContaining('give exactly one of box or polygon'),
    });
    expect(await typed({ id: 'mcp-sample:no-such-crop' }, 'get_crop')).toMatchObject({
      code: 'NOT_FOUND',
      reason: 'CROP_NOT_FOUND',
    });
    expect(await typed({ image: Buffer.alloc(maxUploadBytes + 1).toString('base64') })).toMatchObject({
      code: 'PAYLOAD_TOO_LARGE',
      reason: 'PAYLOAD_TOO_LARGE',
    });
    expect(await typed({ image: Buffer.from('not an image').toString('base64') })).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'IMAGE_DECODE_FAILED',
    });
  }

  it('over stdio, started as the documented client configuration starts it: every tool, no write tool', async () => {
    const { command, args, env: documented } = clientConfig.mcpServers['defect-rag'];
    expect(readFileSync(path.join(workspaceRoot, 'docs', 'mcp.md'), 'utf8')).toContain(clientConfigText.trim());
    // The documented configuration points at your servers; the test's are elsewhere.
    expect(Object.keys(documented).sort()).toEqual(['DATABASE_URL', 'QDRANT_URL']);
    const transport = new StdioClientTransport({
      command,
      args,
      cwd: workspaceRoot,
      env: {
        ...getDefaultEnvironment(),
        ...documented,
        ...env,
        DEFECT_RAG_MAX_UPLOAD_BYTES: String(DEFAULT_MAX_UPLOAD_BYTES),
      },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const client = new Client({ name: 'defect-rag-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map(({ name }) => name).sort(), stderr).toEqual(READ_TOOLS);
      await exercise(client, { imageUrls: false, maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES });
      const [dataset] = (await listDatasets(backend, { first: 1 })).items;
      await expect(call(client, 'delete_dataset', { id: dataset!.id })).rejects.toThrow('no tool "delete_dataset"');
    } finally {
      await client.close();
    }
  }, 240_000);

  describe('over Streamable HTTP at /mcp of `defect-rag serve`, with API keys', () => {
    let api: ChildProcess;
    let url: string;

    beforeAll(async () => {
      api = spawn(process.execPath, [bin, 'serve', '--port', '0', '--mcp-allow-writes'], {
        env: { ...process.env, ...env, DEFECT_RAG_API_KEYS: API_KEY, DEFECT_RAG_API_READS_REQUIRE_KEY: 'true' },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      url = await new Promise<string>((resolve, reject) => {
        let out = '';
        api.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /defect-rag API: (http:\/\/\S+)\/graphql/.exec(out);
          if (match) resolve(match[1]!);
        });
        api.once('exit', (code) => reject(new Error(`defect-rag serve exited with ${code}: ${out}`)));
      });
    }, 120_000);

    afterAll(async () => {
      if (api && api.exitCode === null) {
        const exited = new Promise((resolve) => api.once('exit', resolve));
        api.kill('SIGTERM');
        await exited;
      }
    });

    const connect = async (headers: Record<string, string>) => {
      const client = new Client({ name: 'defect-rag-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers } }));
      return client;
    };

    it('refuses a request without the key before anything runs, and any method but POST', async () => {
      const response = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
      });
      expect(response.status).toBe(401);
      await expect(connect({})).rejects.toThrow();
      // Stateless: no session stream to open with GET, none to end with DELETE.
      expect((await fetch(`${url}/mcp`, { headers: { authorization: `Bearer ${API_KEY}` } })).status).toBe(405);
    });

    it('answers every tool with a key, and offers the write tool it was started with', async () => {
      const client = await connect({ authorization: `Bearer ${API_KEY}` });
      try {
        const { tools } = await client.listTools();
        expect(tools.map(({ name }) => name).sort()).toEqual([...READ_TOOLS, 'delete_dataset'].sort());
        expect(tools.find(({ name }) => name === 'delete_dataset')?.annotations).toMatchObject({
          readOnlyHint: false,
          destructiveHint: true,
        });
        await exercise(client, { imageUrls: true, maxUploadBytes: MAX_UPLOAD_BYTES });
        const [dataset] = (await listDatasets(backend, { first: 1 })).items;
        expect(
          data<{ dataset: { name: string } }>(await call(client, 'delete_dataset', { id: dataset!.id })),
        ).toMatchObject({ dataset: { name: 'mcp-sample' } });
        expect((await listDatasets(backend, { first: 1 })).items).toEqual([]);
      } finally {
        await client.close();
      }
    }, 240_000);
  });
});

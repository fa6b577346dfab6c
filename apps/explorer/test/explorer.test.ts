import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Locator, type Page, type Response } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/*
 * The explorer in a real Chromium against the real API: the page is built, the shared sample is
 * ingested and `npx defect-rag serve` serves both, all as child processes in a temporary data dir
 * (the explorer imports nothing of the workspace, so neither does its test).
 */

const explorerDir = fileURLToPath(new URL('..', import.meta.url));
const workspaceRoot = path.resolve(explorerDir, '..', '..');
const screenshotDir = path.join(workspaceRoot, 'test-output', 'explorer');
/** The README's screenshot; rewritten only when asked, so a test run leaves the checkout clean. */
const readmeScreenshot = path.join(workspaceRoot, 'docs', 'explorer-search.png');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const LAPTOP = { width: 1280, height: 800 };
const TABLET = { width: 820, height: 1180 };

/**
 * libs/testing's rule, restated here because the explorer may not import workspace projects:
 * what the test needs is skipped with a message when absent, and a failure under CI=true.
 */
function requiredOrSkip(what: string, file: string | undefined, fix: string): string | null {
  if (file && existsSync(file)) return file;
  const reason = `${what} is absent (${fix})`;
  if (process.env.CI === 'true') throw new Error(`${reason}: CI must have it`);
  console.warn(`[skip] ${reason}; the explorer's browser test is skipped.`);
  return null;
}

const sharedDir = [process.env.DEFECT_RAG_SHARED_DIR, path.resolve(workspaceRoot, '..', 'shared')].find(
  (dir) => dir && existsSync(dir),
);
const sample = requiredOrSkip(
  '../shared/datasets/vehicle-damage-sample',
  sharedDir && path.join(sharedDir, 'datasets', 'vehicle-damage-sample'),
  'it lives beside the checkout',
);
const browserPath =
  sample &&
  requiredOrSkip(`Chromium at ${chromiumPath}`, chromiumPath, 'apt-get install chromium, or set CHROMIUM_PATH');

const IMAGE_ONLY_TEST_MODEL_ID = 'defect-rag/tiny-clip-image-only';

/** libs/testing's `imageOnlyTestModel`, restated for the same reason: the tiny model's image tower alone. */
async function imageOnlyTestModel(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'image-only-model-'));
  await cp(path.join(workspaceRoot, 'models', 'tiny-clip'), dir, { recursive: true });
  const configFile = path.join(dir, 'config.json');
  const config = JSON.parse(await readFile(configFile, 'utf8')) as { defect_rag?: object } & Record<string, unknown>;
  config._name_or_path = IMAGE_ONLY_TEST_MODEL_ID;
  config.defect_rag = { ...config.defect_rag, towers: ['image'] };
  await writeFile(configFile, JSON.stringify(config, null, 2));
  for (const file of [
    'tokenizer.json',
    'tokenizer_config.json',
    'onnx/text_model.onnx',
    'onnx/text_model_quantized.onnx',
  ])
    await rm(path.join(dir, file));
  return dir;
}

/** Runs a command to its end; rejects with its output when it fails. */
function run(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`${command} ${args.join(' ')} exited with ${code}:\n${output.slice(-4000)}`)),
    );
  });
}

/** `npx defect-rag serve` on a free port; resolves with the explorer's URL once it prints it. */
function startApi(env: NodeJS.ProcessEnv): Promise<{ url: string; process: ChildProcess; log: () => string }> {
  return new Promise((resolve, reject) => {
    // Its own process group, so stopping it reaches npx, the CLI and the API beneath them.
    const child = spawn('npx', ['defect-rag', 'serve', '--port', '0', '--host', '127.0.0.1'], {
      cwd: workspaceRoot,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`the API did not start within 90 s:\n${output.slice(-4000)}`)),
      90_000,
    );
    const onData = (chunk: Buffer) => {
      output += chunk;
      // The address the server prints for the explorer, which a new user opens.
      const url = /^explorer: (http:\/\/\S+?)\/ /m.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ url, process: child, log: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the API exited with ${code} before listening:\n${output.slice(-4000)}`));
    });
  });
}

type SentQuery = Record<string, unknown>;

/** The SimilarityQuery of a search's GraphQL operations (the JSON body); null for other operations. */
function searchQueryOf(operations: string | null | undefined): SentQuery | null {
  if (!operations?.startsWith('{')) return null;
  const { query, variables } = JSON.parse(operations) as { query: string; variables: { query?: SentQuery } };
  return query.includes('searchSimilar') && variables.query ? variables.query : null;
}

const sentQuery = (response: Response) => searchQueryOf(response.request().postData());

/** A vitest poll with time for a request to be answered and the page to render it. */
const eventually = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 15_000 });

/**
 * A poll that waits for a RELABEL run: it compares every crop of the sample in each served
 * model's collection (two here) with its stored hash, on a shared machine.
 */
const runEnded = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 120_000, interval: 1000 });

/** Playwright's innerText: the text as shown, with the spaces CSS puts between elements. */
const text = (locator: Locator) => locator.innerText();

/**
 * SIGTERM to the whole group (npx, the CLI, the API); the API drains and stops its embedded
 * servers before it exits, so this waits until no process of the group is left, and kills what
 * still runs after 30 s.
 */
async function stopApi(child: ChildProcess): Promise<void> {
  const group = child.pid;
  if (group === undefined) return;
  const alive = () => {
    try {
      process.kill(-group, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  process.kill(-group, 'SIGTERM');
  for (const started = Date.now(); alive(); await new Promise((resolve) => setTimeout(resolve, 100))) {
    if (Date.now() - started > 30_000) {
      process.kill(-group, 'SIGKILL');
      return;
    }
  }
}

describe.skipIf(!browserPath)('the explorer in Chromium, served by the API with the shared sample ingested', () => {
  let dataDir: string;
  let profileDir: string;
  let imageOnlyDir: string;
  let api: Awaited<ReturnType<typeof startApi>>;
  let context: BrowserContext;
  let page: Page;
  /** Console errors and uncaught exceptions of the page, over every test. */
  const pageErrors: string[] = [];
  /** Image requests the server refused or that failed, over every test. */
  const imageFailures: string[] = [];

  beforeAll(async () => {
    await rm(screenshotDir, { recursive: true, force: true });
    await mkdir(screenshotDir, { recursive: true });
    // Under a dot-folder, as the default `.data` is: images must load from such a data folder.
    const parent = await mkdtemp(path.join(os.tmpdir(), 'defect-rag-explorer-'));
    dataDir = path.join(parent, '.data');
    await mkdir(dataDir);
    // PostgreSQL runs as its own user when the tests run as root: it must enter the folders.
    for (const dir of [parent, dataDir]) await chmod(dir, 0o755);
    profileDir = await mkdtemp(path.join(os.tmpdir(), 'defect-rag-explorer-chromium-'));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DEFECT_RAG_DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
    };
    // Embedded servers in the temporary folder, whatever the developer's shell points at.
    for (const name of [
      'DATABASE_URL',
      'QDRANT_URL',
      'QDRANT_API_KEY',
      'DEFECT_RAG_API_KEYS',
      'DEFECT_RAG_API_PUBLIC_URL',
    ])
      delete env[name];

    // The page as it is in the sources now (the API serves dist/), built while the sample is ingested.
    // Two served models: the tiny test model (the default) and an image-only one.
    imageOnlyDir = await imageOnlyTestModel();
    env.DEFECT_RAG_MODEL_DIR = `models/tiny-clip,${imageOnlyDir}`;
    // The API's runs (the RELABEL run of a label) work on the sample where it lies.
    env.DEFECT_RAG_DATASET_ROOTS = path.dirname(sample!);
    await Promise.all([
      run('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: explorerDir, env: process.env }),
      (async () => {
        await run('npx', ['defect-rag', 'ingest', sample!, '--name', 'sample'], { cwd: workspaceRoot, env });
        await run('npx', ['defect-rag', 'ingest', sample!, '--name', 'sample', '--model', imageOnlyDir], {
          cwd: workspaceRoot,
          env,
        });
      })(),
    ]);
    api = await startApi(env);

    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: browserPath!,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: LAPTOP,
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: api.url });
    // The operations of the page's multipart uploads, recorded as it sends them: Playwright gets no
    // body from Chromium for a request that carries a file.
    await context.addInitScript(() => {
      const sent: string[] = [];
      (window as unknown as { sentUploads: string[] }).sentUploads = sent;
      const send = window.fetch.bind(window);
      window.fetch = (input, init) => {
        if (init?.body instanceof FormData) sent.push(String(init.body.get('operations')));
        return send(input, init);
      };
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => pageErrors.push(`exception: ${error.message}`));
    // What the server answered for images that failed, so a broken image names its cause.
    page.on('response', (response) => {
      if (response.request().resourceType() === 'image' && response.status() >= 400)
        imageFailures.push(`${response.status()} ${response.url()}`);
    });
    page.on('requestfailed', (request) => {
      if (request.resourceType() === 'image') imageFailures.push(`${request.failure()?.errorText} ${request.url()}`);
    });
    // Two ingestions of the sample, each with its photo points, on a shared machine.
  }, 360_000);

  afterAll(async () => {
    await context?.close();
    if (api) await stopApi(api.process);
    for (const dir of [dataDir, profileDir, imageOnlyDir]) if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  /** Sets the damage filter and waits for the search it starts to be answered. */
  async function searchWithDamage(choice: 'Damaged' | 'Clean'): Promise<void> {
    const filter = `"hasDamage":${choice === 'Damaged'}`;
    const answered = page.waitForResponse(
      (response) => response.url().endsWith('/graphql') && response.request().postData()?.includes(filter) === true,
    );
    await page.getByRole('radio', { name: choice, exact: true }).check();
    await answered;
    await resultsSettled();
  }

  /** Uploads the `index`-th sample image (by name) as the query; its multipart request's response. */
  async function uploadSampleImage(index: number): Promise<{ image: string; response: Response }> {
    const image = path.join(sample!, 'images', (await readdir(path.join(sample!, 'images'))).sort()[index]!);
    const answered = page.waitForResponse(
      (response) =>
        response.url().endsWith('/graphql') &&
        (response.request().headers()['content-type'] ?? '').startsWith('multipart/form-data'),
    );
    await page.locator('#query-image').setInputFiles(image);
    const response = await answered;
    expect(response.status()).toBe(200);
    return { image, response };
  }

  /** The search results are answered and their thumbnails loaded. */
  async function resultsSettled(): Promise<void> {
    await page.locator('.results[aria-busy="false"]').waitFor();
    await imagesLoaded();
  }

  /** Every image of the page loaded and decoded: a refused or missing file leaves naturalWidth 0. */
  async function imagesLoaded(): Promise<void> {
    await page.waitForFunction(() => [...document.images].every((image) => image.complete));
    // Seen once in CI: 3 of 12 thumbnails at naturalWidth 0 right after a filter change, passing on
    // re-run; the cause was not found. A transient state gets 5 s to settle; an image that really
    // fails stays at naturalWidth 0 and is reported with what the server answered for it.
    await page
      .waitForFunction(() => [...document.images].every((image) => image.complete && image.naturalWidth > 0), null, {
        timeout: 5_000,
      })
      .catch(() => undefined);
    const broken = await page.evaluate(() =>
      [...document.images].filter((image) => image.naturalWidth === 0).map((image) => image.src),
    );
    expect(broken, `image responses that failed: ${imageFailures.join('; ') || 'none'}`).toEqual([]);
  }

  const resultStates = () =>
    page
      .locator('[data-testid=result]')
      .evaluateAll((cards) => cards.map((card) => card.getAttribute('data-has-damage')));

  const cardIds = (attribute: 'data-crop-id' | 'data-photo-id') =>
    page
      .locator('[data-testid=result]')
      .evaluateAll((cards, name) => cards.map((card) => card.getAttribute(name)!), attribute);

  /** The search page as it starts: no query, no refinements, the default settings. */
  async function freshSearchPage(): Promise<void> {
    await page.setViewportSize(LAPTOP);
    await page.goto(`${api.url}/#/search`);
    await page.reload();
    await page.getByLabel('Describe a defect').waitFor();
  }

  /** The answer to the next search whose SimilarityQuery `matches`. */
  function searchAnswer(matches: (query: SentQuery) => boolean): Promise<Response> {
    return page.waitForResponse((response) => {
      if (!response.url().endsWith('/graphql')) return false;
      const query = sentQuery(response);
      return query !== null && matches(query);
    });
  }

  /** The answer to the next multipart upload, and the SimilarityQuery the page sent with it. */
  async function uploadAnswer(): Promise<{ response: Response; query: SentQuery }> {
    const response = await page.waitForResponse(
      (candidate) =>
        candidate.url().endsWith('/graphql') &&
        (candidate.request().headers()['content-type'] ?? '').startsWith('multipart/form-data'),
    );
    const operations = await page.evaluate(() => (window as unknown as { sentUploads: string[] }).sentUploads.at(-1));
    const query = searchQueryOf(operations);
    expect(query).not.toBeNull();
    return { response, query: query! };
  }

  async function screenshot(name: string, fullPage = false): Promise<string> {
    const file = path.join(screenshotDir, `${name}.png`);
    await page.screenshot({ path: file, fullPage });
    return file;
  }

  it('opens on crops of the index, each with its image and "Similar", and pages through them', async () => {
    await page.goto(api.url);
    const cards = page.getByTestId('browsed-crop');
    await eventually(() => cards.count()).toBe(12);
    await imagesLoaded();
    expect(await page.getByTestId('browse').getByRole('status').textContent()).toMatch(
      /^Crops 1–12 of \d+ in the index/,
    );
    const file = await screenshot('first-view');
    if (process.env.EXPLORER_README_SCREENSHOT === '1') {
      // A 256-colour palette keeps the README's PNG small; the photos stay recognisable.
      await mkdir(path.dirname(readmeScreenshot), { recursive: true });
      await writeFile(
        readmeScreenshot,
        await sharp(file).png({ palette: true, colours: 256, compressionLevel: 9, effort: 10 }).toBuffer(),
      );
    }

    // The filters narrow what is browsed; the next page holds other crops.
    const ids = () => cards.evaluateAll((all) => all.map((card) => card.getAttribute('data-crop-id')!));
    await page.getByRole('radio', { name: 'Damaged', exact: true }).check();
    await eventually(() =>
      cards.evaluateAll((all) => all.every((card) => card.getAttribute('data-has-damage') === 'true')),
    ).toBe(true);
    await imagesLoaded();
    const firstPage = await ids();
    await page.getByTestId('browse-next').click();
    await eventually(() => page.getByTestId('browse').getByRole('status').textContent()).toMatch(/^Crops 13–/);
    await imagesLoaded();
    const nextPage = await ids();
    expect(nextPage.length).toBeGreaterThan(0);
    expect(nextPage.filter((id) => firstPage.includes(id))).toEqual([]);

    // "Similar" on a browsed crop starts a search from it.
    const similarTo = nextPage[0]!;
    await cards.first().getByTestId('similar').click();
    await eventually(() => text(page.getByTestId('query-summary'))).toContain(`Similar to crop ${similarTo}`);
    // The summary changes before the search is sent: wait for its cards, then for their images.
    await eventually(async () => (await cardIds('data-crop-id')).length).toBeGreaterThan(0);
    await resultsSettled();
    expect(await cardIds('data-crop-id')).not.toContain(similarTo);
  });

  it('searches by text, and the damaged filter leaves only damaged crops', async () => {
    await page.goto(api.url);
    await page.getByTestId('random-weights').waitFor();
    await page.getByLabel('Describe a defect').fill('scratch on the front bumper');
    const answered = page.waitForResponse(
      (response) => response.url().endsWith('/graphql') && response.request().postData()?.includes('scratch') === true,
    );
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await answered;
    await resultsSettled();
    // The unfiltered answer has both kinds, so the filter below has something to remove.
    expect(new Set(await resultStates())).toEqual(new Set(['true', 'false']));

    await searchWithDamage('Clean');
    const clean = await resultStates();
    expect(clean.length).toBeGreaterThan(0);
    expect(clean.every((state) => state === 'false')).toBe(true);

    await searchWithDamage('Damaged');
    const damaged = await resultStates();
    expect(damaged.length).toBe(12);
    expect(damaged.every((state) => state === 'true')).toBe(true);
    await eventually(() => page.locator('[data-testid=result] .tag-damaged').count()).toBe(12);
    // Every damaged card draws its defects' polygons over the thumbnail.
    for (const card of await page.locator('[data-testid=result]').all())
      expect(await card.locator('.card-overlay [data-testid=defect-polygon]').count()).toBeGreaterThan(0);

    await screenshot('search');
  });

  it('uploads an image as a multipart request and shows the crops similar to it', async () => {
    const { image } = await uploadSampleImage(0);
    await resultsSettled();
    await eventually(() => text(page.getByTestId('query-summary'))).toContain(`Image: ${path.basename(image)}`);
    await eventually(() => page.getByTestId('error').count()).toBe(0);
    const states = await resultStates();
    expect(states.length).toBeGreaterThan(0);
    // The damaged filter still applies to image queries.
    expect(states.every((state) => state === 'true')).toBe(true);
    await screenshot('search-image');
  });

  it('finds whole photos like the uploaded photo, each with its defect polygons drawn over it', async () => {
    const { image } = await uploadSampleImage(1);
    await resultsSettled();
    // An upload's operations travel in a multipart body: told apart by its content type.
    const uploaded = () =>
      page.waitForResponse(
        (response) =>
          response.url().endsWith('/graphql') &&
          (response.request().headers()['content-type'] ?? '').startsWith('multipart/form-data'),
      );
    const answered = uploaded();
    await page.getByTestId('level-photo').check();
    await answered;
    await page.locator('.results[aria-busy="false"]').waitFor();
    await imagesLoaded();
    const cards = page.locator('[data-testid=photo-result]');
    await eventually(() => cards.count()).toBe(12);
    expect(await page.locator('[data-testid=result]').count()).toBe(0);
    // The damaged filter still applies; the uploaded photo itself comes first.
    const states = await cards.evaluateAll((all) => all.map((card) => card.getAttribute('data-has-damage')));
    expect(states.every((state) => state === 'true')).toBe(true);
    expect(await cards.first().getAttribute('data-photo-id')).toMatch(/^photo:/);
    // Every damaged photo shows its annotated polygons.
    for (const card of await cards.all()) expect(await card.getByTestId('defect-polygon').count()).toBeGreaterThan(0);
    await screenshot('search-photos');

    // Image against image vectors: the uploaded photo is itself in the index, first.
    const byImage = uploaded();
    await page.getByRole('radio', { name: 'Image', exact: true }).check();
    await byImage;
    await page.locator('.results[aria-busy="false"]').waitFor();
    await eventually(() => text(cards.first())).toContain(path.basename(image));

    const back = uploaded();
    await page.getByTestId('level-crop').check();
    await back;
    await resultsSettled();
    const fused = uploaded();
    await page.getByRole('radio', { name: 'Fused', exact: true }).check();
    await fused;
    await resultsSettled();
    await eventually(() => page.locator('[data-testid=result]').count()).toBeGreaterThan(0);
  });

  it('opens a crop: its window and defect boxes drawn over the source photo and the crop, and its RAG context', async () => {
    await page.locator('[data-testid=result]').first().getByRole('link', { name: 'Details', exact: true }).click();
    await page.getByTestId('source-overlay').waitFor();
    await page.getByTestId('overlay').waitFor();
    await imagesLoaded();

    // The crop's window, as the API gives it, lies where it belongs on the displayed photo.
    const [, width, height, x, y] = /Crop box(\d+)×(\d+) at \((\d+), (\d+)\)/
      .exec((await page.getByTestId('metadata').textContent())!)!
      .map(Number);
    const source = await page.getByTestId('source-overlay').evaluate((svg) => {
      const image = svg.previousElementSibling as HTMLImageElement;
      return {
        natural: { width: image.naturalWidth, height: image.naturalHeight },
        shown: image.getBoundingClientRect().toJSON() as DOMRect,
        overlay: svg.getBoundingClientRect().toJSON() as DOMRect,
        cropBox: svg.querySelector('[data-testid=crop-box]')!.getBoundingClientRect().toJSON() as DOMRect,
      };
    });
    expect(source.overlay).toEqual(source.shown);
    const scale = source.shown.width / source.natural.width;
    expect(source.cropBox.x).toBeCloseTo(source.shown.x + x! * scale, 0);
    expect(source.cropBox.y).toBeCloseTo(source.shown.y + y! * scale, 0);
    expect(source.cropBox.width).toBeCloseTo(width! * scale, 0);
    expect(source.cropBox.height).toBeCloseTo(height! * scale, 0);

    // A damaged crop shows its defects on both pictures, each box inside the crop.
    const defectRows = await page.locator('table:has(caption:text("Defects in this crop")) tbody tr').count();
    expect(defectRows).toBeGreaterThan(0);
    expect(await page.locator('[data-testid=source-overlay] [data-testid=defect-box]').count()).toBe(defectRows);
    const crop = await page.getByTestId('overlay').evaluate((svg) => ({
      shown: (svg.previousElementSibling as HTMLImageElement).getBoundingClientRect().toJSON() as DOMRect,
      defects: [...svg.querySelectorAll('[data-testid=defect-box] rect')].map(
        (rect) => rect.getBoundingClientRect().toJSON() as DOMRect,
      ),
    }));
    expect(crop.defects).toHaveLength(defectRows);
    for (const box of crop.defects) {
      expect(box.width).toBeGreaterThan(0);
      expect(box.x).toBeGreaterThanOrEqual(crop.shown.x - 1);
      expect(box.x + box.width).toBeLessThanOrEqual(crop.shown.x + crop.shown.width + 1);
      expect(box.y + box.height).toBeLessThanOrEqual(crop.shown.y + crop.shown.height + 1);
    }

    // And the visible part of each defect's polygon, inside the crop.
    const polygons = await page
      .getByTestId('overlay')
      .locator('[data-testid=defect-polygon]')
      .evaluateAll((shapes) => shapes.map((shape) => shape.getBoundingClientRect().toJSON() as DOMRect));
    expect(polygons).toHaveLength(defectRows);
    for (const box of polygons) {
      expect(box.width).toBeGreaterThan(0);
      expect(box.x).toBeGreaterThanOrEqual(crop.shown.x - 1);
      expect(box.x + box.width).toBeLessThanOrEqual(crop.shown.x + crop.shown.width + 1);
      expect(box.y + box.height).toBeLessThanOrEqual(crop.shown.y + crop.shown.height + 1);
    }

    await eventually(() => text(page.getByTestId('metadata'))).toContain('damaged');
    await eventually(() => text(page.getByTestId('rag-context'))).toContain('crop:');
    await page.getByTestId('copy-context').click();
    await eventually(() => page.evaluate(() => navigator.clipboard.readText())).toBe(
      await page.getByTestId('rag-context').textContent(),
    );
    await page.getByRole('radio', { name: 'Markdown' }).check();
    await eventually(() => text(page.getByTestId('rag-context'))).toContain('**[crop:');
    await imagesLoaded();
    await screenshot('crop', true);

    // "Find similar crops" searches with this crop as the query.
    const cropId = (await page.locator('.crop-id').textContent())!;
    await page.getByRole('link', { name: 'Find similar crops', exact: true }).click();
    await eventually(() => text(page.getByTestId('query-summary'))).toContain(`Similar to crop ${cropId}`);
    await resultsSettled();
    expect((await resultStates()).length).toBeGreaterThan(0);
  });

  it('lists the ingestion runs (one per model) as succeeded, with their stages, and opens one', async () => {
    await page.getByRole('link', { name: 'Datasets and runs', exact: true }).click();
    const rows = page.locator('[data-testid=run-row][data-kind=INGEST]');
    await eventually(() => rows.count()).toBe(2);
    const row = rows.first();
    await eventually(() => row.getByTestId('run-status').textContent()).toBe('succeeded');
    await eventually(() => row.locator('progress').count()).toBeGreaterThan(0);
    await eventually(() => text(page.getByTestId('datasets'))).toContain('sample');
    await screenshot('runs', true);

    await row.getByRole('link').click();
    await eventually(() => text(page.getByRole('heading', { level: 1 }))).toContain('Ingestion of sample');
    await page.getByRole('heading', { name: /^Problems \(\d+\)$/ }).waitFor();
    await screenshot('run', true);
  });

  it("shows the API's error code and message when a request fails", async () => {
    await page.goto(`${api.url}/#/search?similar=no-such-crop`);
    await eventually(() => text(page.getByTestId('error'))).toContain('NOT_FOUND');
    await eventually(() => text(page.getByTestId('error'))).toContain('no-such-crop');
  });

  it('fits a tablet screen and can be used with the keyboard alone', async () => {
    await page.setViewportSize(TABLET);
    await page.goto(`${api.url}/#/search`);
    await page.reload();
    const focused: string[] = [];
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      focused.push(
        await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || ''),
      );
    }
    expect(focused).toEqual(expect.arrayContaining(['Search', 'Datasets and runs', 'query-text', 'query-image']));
    await page.getByLabel('Describe a defect').focus();
    await page.keyboard.type('dent on the rear door');
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=result]').first().waitFor();
    await resultsSettled();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
    await screenshot('search-tablet');
  });

  it('offers only what the chosen model answers: the Image mode alone for an image-only model, whose text search is prototype-based', async () => {
    await page.goto(api.url);
    const choice = page.getByTestId('model-choice');
    await choice.waitFor();
    expect(await choice.locator('option').allTextContents()).toEqual([
      'defect-rag/tiny-clip (random test weights)',
      `${IMAGE_ONLY_TEST_MODEL_ID} (text by labels) (random test weights)`,
    ]);
    const modes = () =>
      page
        .locator('fieldset', { hasText: 'Mode' })
        .getByRole('radio')
        .evaluateAll((radios) => radios.map((radio) => (radio as HTMLInputElement).value));
    expect(await modes()).toEqual(['FUSED', 'IMAGE', 'TEXT']);
    expect(await page.getByTestId('prototype-text').count()).toBe(0);
    await choice.selectOption(IMAGE_ONLY_TEST_MODEL_ID);
    await page.getByTestId('prototype-text').waitFor();
    expect(await modes()).toEqual(['IMAGE']);
    expect(await page.getByRole('radio', { name: 'Image', exact: true }).isChecked()).toBe(true);

    // A search by an uploaded image names the model and comes back from its collection.
    const { response } = await uploadSampleImage(1);
    const body = (await response.json()) as { data: { searchSimilar: { crop: { modelId: string } }[] } };
    expect(body.data.searchSimilar.length).toBeGreaterThan(0);
    for (const { crop } of body.data.searchSimilar) expect(crop.modelId).toBe(IMAGE_ONLY_TEST_MODEL_ID);
    await resultsSettled();
    await eventually(() => page.getByTestId('error').count()).toBe(0);
    expect((await resultStates()).length).toBeGreaterThan(0);
    await screenshot('search-image-only-model');

    // Text is answered by label prototypes, and the form says how.
    expect(await text(page.getByTestId('prototype-text'))).toContain(
      'has no text tower: your words are matched to damage types and zones',
    );
    await page.getByLabel('Describe a defect').fill('rear bumper');
    const answer = searchAnswer((query) => query.text === 'rear bumper');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const texts = (await (await answer).json()) as { data: { searchSimilar: { crop: { modelId: string } }[] } };
    expect(texts.data.searchSimilar.length).toBeGreaterThan(0);
    for (const { crop } of texts.data.searchSimilar) expect(crop.modelId).toBe(IMAGE_ONLY_TEST_MODEL_ID);

    // The notice names the served model that has a text tower and switches to it.
    expect(await text(page.getByTestId('prototype-text'))).toContain(
      'to describe a defect freely, use defect-rag/tiny-clip',
    );
    await page.getByTestId('switch-to-text-model').click();
    await eventually(() => choice.inputValue()).toBe('defect-rag/tiny-clip');
    expect(await page.getByTestId('prototype-text').count()).toBe(0);
  });

  it('refines a search from its results: more like this, not like this, without a photo, one per photo, the next page', async () => {
    await freshSearchPage();
    await page.getByLabel('Describe a defect').fill('dent on the door');
    const first = searchAnswer((query) => query.text === 'dent on the door');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    expect(sentQuery(await first)).not.toHaveProperty('positiveCropIds');
    await resultsSettled();
    const before = await cardIds('data-crop-id');
    expect(before).toHaveLength(12);
    expect(
      await page.locator(`[data-crop-id="${before[0]}"]`).getByTestId('source-photo').getAttribute('href'),
    ).toMatch(new RegExp(`/crops/${before[0]}/source$`));

    // "More like this" sends the crop as a positive example; it is not returned itself.
    const liked = before[1]!;
    const moreAnswered = searchAnswer((query) => query.positiveCropIds !== undefined);
    await page.locator(`[data-crop-id="${liked}"]`).getByTestId('more-like-this').click();
    const more = sentQuery(await moreAnswered)!;
    expect(more).toMatchObject({ text: 'dent on the door', positiveCropIds: [liked] });
    expect(more).not.toHaveProperty('negativeCropIds');
    await resultsSettled();
    const afterMore = await cardIds('data-crop-id');
    expect(afterMore.length).toBeGreaterThan(0);
    expect(afterMore).not.toContain(liked);
    expect(afterMore).not.toEqual(before);
    expect(await page.getByTestId('chip-positive').getAttribute('data-id')).toBe(liked);

    // "Not like this" adds a negative beside the positive.
    const disliked = afterMore[0]!;
    const lessAnswered = searchAnswer((query) => query.negativeCropIds !== undefined);
    await page.locator(`[data-crop-id="${disliked}"]`).getByTestId('not-like-this').click();
    expect(sentQuery(await lessAnswered)).toMatchObject({ positiveCropIds: [liked], negativeCropIds: [disliked] });
    await resultsSettled();
    const afterLess = await cardIds('data-crop-id');
    expect(afterLess.length).toBeGreaterThan(0);
    expect(afterLess).not.toContain(disliked);
    expect(afterLess).not.toContain(liked);
    expect(await page.getByTestId('chip-negative').getAttribute('data-id')).toBe(disliked);
    await screenshot('search-feedback');

    // Its chip takes the negative back.
    const withdrawn = searchAnswer((query) => query.positiveCropIds !== undefined && !query.negativeCropIds);
    await page.getByRole('button', { name: `Remove “Not like ${disliked}”` }).click();
    await withdrawn;
    await resultsSettled();
    expect(await page.getByTestId('chip-negative').count()).toBe(0);

    // "Exclude this photo" leaves out every crop of the card's photo.
    const photo = (await cardIds('data-photo-id'))[0]!;
    const excludedAnswered = searchAnswer((query) => query.excludePhotoIds !== undefined);
    await page.locator(`[data-photo-id="${photo}"]`).first().getByTestId('exclude-photo').click();
    expect(sentQuery(await excludedAnswered)!.excludePhotoIds).toEqual([photo]);
    await resultsSettled();
    expect(await cardIds('data-photo-id')).not.toContain(photo);

    // One per photo: distinct photos.
    const groupedAnswered = searchAnswer((query) => query.onePerPhoto === true);
    await page.getByRole('checkbox', { name: 'One per photo' }).check();
    await groupedAnswered;
    await resultsSettled();
    const photos = await cardIds('data-photo-id');
    expect(photos).toHaveLength(12);
    expect(new Set(photos).size).toBe(photos.length);

    // The next page: offset by the limit, other photos.
    const nextAnswered = searchAnswer((query) => query.offset === 12);
    await page.getByTestId('next-page').click();
    expect(sentQuery(await nextAnswered)).toMatchObject({ onePerPhoto: true, limit: 12, excludePhotoIds: [photo] });
    await resultsSettled();
    const nextPhotos = await cardIds('data-photo-id');
    expect(nextPhotos.length).toBeGreaterThan(0);
    expect(nextPhotos.filter((id) => photos.includes(id))).toEqual([]);
  });

  it('searches a region dragged on the uploaded photo, in source pixels, and adds a description (hybrid)', async () => {
    await freshSearchPage();
    await uploadSampleImage(2);
    await resultsSettled();
    const picker = page.getByTestId('region-picker');
    await picker.locator('svg').waitFor();
    const { shown, natural } = await picker.locator('img').evaluate((image: HTMLImageElement) => ({
      shown: image.getBoundingClientRect().toJSON() as DOMRect,
      natural: { width: image.naturalWidth, height: image.naturalHeight },
    }));
    const scale = natural.width / shown.width;
    // Displayed smaller than it is, so a box left in displayed pixels would be caught.
    expect(scale).toBeGreaterThan(1.5);

    const regionAnswered = uploadAnswer();
    await page.mouse.move(shown.x + shown.width * 0.2, shown.y + shown.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(shown.x + shown.width * 0.6, shown.y + shown.height * 0.7, { steps: 5 });
    await page.mouse.up();
    await picker.getByTestId('region-box').waitFor();
    const { response, query: regionQuery } = await regionAnswered;
    const box = (regionQuery.region as { box: { x: number; y: number; width: number; height: number } }).box;
    const near = (value: number, expected: number) => expect(Math.abs(value - expected)).toBeLessThanOrEqual(scale + 1);
    near(box.x, natural.width * 0.2);
    near(box.y, natural.height * 0.3);
    near(box.width, natural.width * 0.4);
    near(box.height, natural.height * 0.4);
    const body = (await response.json()) as { data: { searchSimilar: unknown[] } | null; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    expect(body.data!.searchSimilar.length).toBeGreaterThan(0);
    await resultsSettled();
    await eventually(() => page.getByTestId('error').count()).toBe(0);
    expect((await cardIds('data-crop-id')).length).toBeGreaterThan(0);
    expect(await page.getByTestId('alpha').count()).toBe(0);
    await screenshot('search-region');

    // A description makes it hybrid; α appears once both are given and is sent when moved.
    const hybridAnswered = uploadAnswer();
    await page.getByLabel(/And a description/).fill('dent near the handle');
    await page.getByRole('button', { name: 'Apply', exact: true }).click();
    const hybrid = (await hybridAnswered).query;
    expect(hybrid).toMatchObject({ image: null, region: { box }, text: 'dent near the handle' });
    expect(hybrid).not.toHaveProperty('alpha');
    await resultsSettled();
    const alphaAnswered = uploadAnswer();
    await page.getByTestId('alpha').fill('0.7');
    expect((await alphaAnswered).query).toMatchObject({ alpha: 0.7, text: 'dent near the handle', region: { box } });
    await resultsSettled();

    // Clearing the region searches the whole photo again.
    const wholeAnswered = uploadAnswer();
    await picker.getByTestId('clear-region').click();
    const whole = (await wholeAnswered).query;
    expect(whole).toMatchObject({ image: null, text: 'dent near the handle' });
    expect(whole).not.toHaveProperty('region');
    await resultsSettled();
    expect(await picker.getByTestId('region-box').count()).toBe(0);
  });

  // Last before the console check: it reloads the page, which the tests above build on.
  it('lists child zones indented under their parent, whose count includes theirs', async () => {
    await page.goto(api.url);
    const labels = page.locator('fieldset', { hasText: 'Zones' }).locator('label');
    await labels.first().waitFor();
    const zones = await labels.evaluateAll((rows) =>
      rows.map((row) => ({
        name: row.querySelector('span')?.textContent,
        count: Number(row.querySelector('.count')?.textContent),
        indent: parseFloat(getComputedStyle(row).paddingLeft),
      })),
    );
    const names = zones.map((zone) => zone.name);
    const at = (name: string) => zones[names.indexOf(name)]!;
    expect(names.slice(names.indexOf('side'), names.indexOf('side') + 3)).toEqual(['side', 'left side', 'right side']);
    expect(at('left side').indent).toBeGreaterThan(at('side').indent);
    expect(at('right side').indent).toBe(at('left side').indent);
    expect(at('front').indent).toBe(at('side').indent);
    expect(at('left side').count).toBeGreaterThan(0);
    expect(at('side').count).toBeGreaterThanOrEqual(at('left side').count + at('right side').count);
  });

  // After the tests that read the sample's points: labelling recuts a photo of it.
  it('labels a photo in the explorer: a box drawn with the region tool, one click on a result; its RELABEL run recuts it as labelled', async () => {
    // A damage type no crop of the sample has: filtering on it finds the labelled photo alone.
    const stats = (await (
      await fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: '{ taxonomy { damageTypes { id } } indexStats { byDamageType { value count } } }',
        }),
      })
    ).json()) as {
      data: { taxonomy: { damageTypes: { id: string }[] }; indexStats: { byDamageType: { value: string }[] } };
    };
    const present = new Set(stats.data.indexStats.byDamageType.map((entry) => entry.value));
    const rare = stats.data.taxonomy.damageTypes.map((type) => type.id).find((id) => !present.has(id))!;
    expect(rare).toBeDefined();

    // One click on a clean result: "damage: <type>" labels its window.
    await freshSearchPage();
    await page.getByLabel('Describe a defect').fill('clean door panel');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await searchWithDamage('Clean');
    const card = page
      .getByTestId('result')
      .filter({ has: page.getByTestId('quick-label') })
      .first();
    const photoId = await card.getAttribute('data-photo-id');
    await card.getByLabel('Damage type').selectOption(rare);
    await card.getByTestId('label-damage').click();
    await runEnded(() => text(card.getByTestId('quick-label-status'))).toMatch(
      new RegExp(`Labelled ${rare}; run succeeded`),
    );

    // Searched again for damaged crops of that type: its crops, damaged, with the analyst's label.
    const typed = searchAnswer((query) => JSON.stringify(query).includes(rare));
    await page.locator(`fieldset:has(legend:text("Damage types")) input[value="${rare}"]`).check();
    await typed;
    await searchWithDamage('Damaged');
    const cards = page.getByTestId('result');
    await eventually(() => cards.count()).toBeGreaterThan(0);
    expect(new Set(await cardIds('data-photo-id'))).toEqual(new Set([photoId]));
    expect(await cards.first().getAttribute('data-has-damage')).toBe('true');
    expect(await text(cards.first().getByTestId('analyst-label'))).toBe(`labelled ${rare} · local`);
    await screenshot('labelled-result');

    // On a crop's page: drag a box over its photo with the region tool, pick a type, add it.
    await page.locator(`fieldset:has(legend:text("Damage types")) input[value="${rare}"]`).uncheck();
    await searchWithDamage('Clean');
    const other = page
      .getByTestId('result')
      .filter({ has: page.getByTestId('quick-label') })
      .first();
    await other.getByRole('link', { name: 'Details', exact: true }).click();
    const tool = page.getByTestId('label-tool');
    await tool.locator('svg').waitFor();
    // Below the crop's figures: in view first, since the pointer moves in the viewport's pixels.
    await tool.locator('img').scrollIntoViewIfNeeded();
    const shown = await tool
      .locator('img')
      .evaluate((image: HTMLImageElement) => image.getBoundingClientRect().toJSON() as DOMRect);
    await page.mouse.move(shown.x + shown.width * 0.3, shown.y + shown.height * 0.3);
    await page.mouse.down();
    await page.mouse.move(shown.x + shown.width * 0.5, shown.y + shown.height * 0.6, { steps: 5 });
    await page.mouse.up();
    await tool.getByTestId('region-box').waitFor();
    await tool.getByTestId('label-type').selectOption('scratch');
    await tool.getByTestId('add-label').click();
    await runEnded(() => text(tool.getByTestId('label-status'))).toMatch(/Labelled scratch; run succeeded/);
    await eventually(() => text(tool.getByTestId('photo-state'))).toContain('scratch');
    expect(await text(tool.getByTestId('photo-labels'))).toMatch(/damage: scratch by local/);
    await screenshot('labelled-photo', true);
  }, 180_000);

  it('logged no console errors on any page', () => {
    expect(pageErrors).toEqual([]);
  });
});

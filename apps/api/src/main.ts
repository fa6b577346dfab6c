// The API server as a program: `npx defect-rag serve [--port P] [--host H] [--mcp-allow-writes]` runs this file, as
// `TSX_TSCONFIG_PATH=apps/api/tsconfig.json node --import tsx apps/api/src/main.ts [--port P]` does
// (the tsconfig turns on the decorators). It serves until SIGINT or SIGTERM, then drains requests,
// cancels its background runs and stops the embedded servers.
import { parseArgs } from 'node:util';
import { openBackend } from '@defect-rag/runs';
import { createLogger, DefectRagError, loadConfig, toDefectRagError } from '@defect-rag/runtime';
import { createApiServer } from './index';

const { values: args } = parseArgs({
  options: { port: { type: 'string' }, host: { type: 'string' }, 'mcp-allow-writes': { type: 'boolean' } },
});

try {
  const config = loadConfig();
  const port = args.port === undefined ? undefined : Number(args.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new DefectRagError('BAD_INPUT', `--port must be an integer from 0 to 65535, got ${args.port}`);
  }
  const logger = createLogger(config.logLevel, config.logFormat);
  const backend = await openBackend(config, logger);
  // Embedded servers stop themselves on SIGINT/SIGTERM and exit at once. The API must first drain
  // its requests and record its runs' end, which needs them, so it takes the signals over and stops
  // them last (backend.close()).
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.removeAllListeners(signal);
  const serving = createApiServer(backend, { port, host: args.host, mcpAllowWrites: args['mcp-allow-writes'] });
  const stop = async (signal: NodeJS.Signals) => {
    logger.info(`${signal}: stopping the API`);
    // `defect-rag serve` passes on the Ctrl-C its terminal also sent here: one stop is enough.
    for (const name of ['SIGINT', 'SIGTERM'] as const) process.on(name, () => logger.info(`${name}: already stopping`));
    try {
      await serving.then(
        (server) => server.close(),
        () => {},
      );
      await backend.close();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'stopping the API failed');
      process.exit(1);
    }
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  const server = await serving.catch(async (error: unknown) => {
    await backend.close();
    throw error;
  });
  logger.info(`GraphQL API listening at ${server.url}/graphql (health: ${server.url}/healthz)`);
  process.stdout.write(`\ndefect-rag API: ${server.url}/graphql\nexplorer: ${server.url}/ (open it in a browser)\n`);
  // Load the models now, so the first search does not wait for them; a broken one shows in /healthz.
  // The example query is a text search, so it names the first model with a text tower when the
  // default one has none (the demo serves the image-only ImageNet model first).
  backend.models().then(
    (models) => {
      for (const embedder of models) {
        logger.info(
          `model ${embedder.modelId} loaded${embedder.hasTextTower ? '' : ' (image tower only)'}${embedder.randomWeights ? ' (random test weights: similarities are meaningless)' : ''}`,
        );
      }
      const textModel = models.find((embedder) => embedder.hasTextTower);
      process.stdout.write(
        curlExample(
          server.url,
          config.apiKeys.length > 0,
          textModel && textModel !== models[0] ? textModel.modelId : undefined,
        ),
      );
    },
    (error: unknown) => {
      logger.error(`the model cannot be loaded, searches will fail: ${toDefectRagError(error).message}`);
      process.stdout.write(curlExample(server.url, config.apiKeys.length > 0));
    },
  );
} catch (error) {
  const failure = toDefectRagError(error);
  process.stderr.write(`error [${failure.code}]: ${failure.message}\n`);
  process.exit(1);
}

/** A ready-to-paste text search; `model` names a served model with a text tower when the default lacks one. */
function curlExample(url: string, withKey: boolean, model?: string): string {
  const modelArgument = model ? `, model: ${JSON.stringify(model)}` : '';
  const body = JSON.stringify({
    query: `{ searchSimilar(query: { text: "scratch on the front bumper", filter: { hasDamage: true }, limit: 3${modelArgument} }) { score crop { id vehicleZone damageTypes textDescription imageUrl } } }`,
  });
  return [
    'try it:',
    `  curl -s ${url}/graphql -H 'content-type: application/json'${withKey ? " -H 'x-api-key: <key>'" : ''} \\`,
    `    -d '${body}'`,
    '',
  ].join('\n');
}

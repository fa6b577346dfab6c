#!/usr/bin/env node
// Generates the Prisma client (libs/db/src/generated). Run by `npm install`/`npm ci`.
//
// The Prisma CLI downloads its native schema engine when it starts, although `prisma generate`
// never uses it. Where that download cannot happen (no internet), retry once with
// PRISMA_SCHEMA_ENGINE_BINARY pointing at a harmless existing file, for this one command only.
import { spawnSync } from 'node:child_process';

const run = (env) =>
  spawnSync('npx', ['--no-install', 'prisma', 'generate'], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

let result = run(process.env);
const output = `${result.stdout}${result.stderr}`;
if (
  result.status !== 0 &&
  !process.env.PRISMA_SCHEMA_ENGINE_BINARY &&
  /binaries\.prisma\.sh|schema-engine/i.test(output)
) {
  console.warn('prisma: schema engine download unavailable (offline?); generating the client without it.');
  result = run({ ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath });
}
process.stdout.write(result.stdout ?? '');
process.stderr.write(result.stderr ?? '');
process.exit(result.status ?? 1);

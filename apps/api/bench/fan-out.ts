// Run by `npm run bench -- fan-out` (tools/bench/fan-out.ts): how long the API's document limits
// take to refuse the fragment fan-out document of issue 26 (each fragment F{i} spreads F{i-1}
// K times, n levels: K^n selections in 1.3 KB), through Apollo with the API's limits plugin, and
// the depth and cost checks alone. Target: refused within 50 ms. graphql-js's own validation of
// the same document is printed beside it for scale.
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { ApolloServer } from '@apollo/server';
import { parse, validate, type OperationDefinitionNode } from 'graphql';
import { operationCost, operationDepth, queryLimitsPlugin } from '../src/limits';
import { buildApiSchema } from '../src/schema';

const { values: args } = parseArgs({
  options: {
    spreads: { type: 'string', default: '30' },
    levels: { type: 'string', default: '6' },
    runs: { type: 'string', default: '21' },
  },
});
const SPREADS = Number(args.spreads);
const LEVELS = Number(args.levels);
const RUNS = Number(args.runs);

/** The fan-out document; `salt` renames the leaf's alias so no run reuses a cached parse. */
function fanOut(salt: number): string {
  const fragments = [`fragment F0 on Query { m${salt}: model { id } }`];
  for (let level = 1; level <= LEVELS; level++)
    fragments.push(`fragment F${level} on Query { ${`...F${level - 1} `.repeat(SPREADS)}}`);
  return `{ ...F${LEVELS} } ${fragments.join(' ')}`;
}

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const median = (values: number[]) => sorted(values)[Math.floor(values.length / 2)]!;
const ms = (value: number) => `${value.toFixed(1)} ms`;

const schema = await buildApiSchema();
const server = new ApolloServer({ schema, plugins: [queryLimitsPlugin()] });
await server.start();
console.log(`document: K=${SPREADS} spreads, n=${LEVELS} levels, ${fanOut(0).length} bytes`);

let started = performance.now();
validate(schema, parse(fanOut(0)));
console.log(`graphql-js parse + validate: ${ms(performance.now() - started)}`);

const refusals: number[] = [];
for (let run = 1; run <= RUNS; run++) {
  started = performance.now();
  const response = await server.executeOperation({ query: fanOut(run) }, { contextValue: {} as never });
  refusals.push(performance.now() - started);
  const code = response.body.kind === 'single' ? response.body.singleResult.errors?.[0]?.extensions?.code : undefined;
  if (code !== 'QUERY_TOO_COMPLEX') throw new Error(`run ${run}: expected QUERY_TOO_COMPLEX, got ${String(code)}`);
}
await server.stop();
const warm = refusals.slice(1);
console.log(
  `refused through Apollo (QUERY_TOO_COMPLEX): first ${ms(refusals[0]!)}, then ${warm.length} fresh documents: median ${ms(median(warm))}, max ${ms(Math.max(...warm))}`,
);

const checks: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const document = parse(fanOut(1000 + run));
  const operation = document.definitions[0] as OperationDefinitionNode;
  started = performance.now();
  operationDepth(operation, document);
  operationCost(schema, operation, document, {});
  checks.push(performance.now() - started);
}
console.log(`depth + cost checks alone: median ${ms(median(checks))}, max ${ms(Math.max(...checks))}`);
// The first request through a fresh Apollo also warms its pipeline up (JIT, caches); a running
// server has served others before, so the target is judged on the fresh documents after it.
const worst = Math.max(...warm);
console.log(
  `target: refused within 50 ms on a running server: ${worst <= 50 ? 'met' : 'NOT met'} (slowest ${ms(worst)})`,
);

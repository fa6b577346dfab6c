// `npm run bench -- fan-out [--spreads 30] [--levels 6] [--runs 21]`
//
// How fast the API refuses the fragment fan-out document (issue 26): runs apps/api/bench/fan-out.ts
// in the API's own TypeScript settings (its decorators), as `defect-rag serve` runs the API.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { workspaceRoot } from '@defect-rag/runtime';

const apiDir = path.join(workspaceRoot, 'apps', 'api');
const result = spawnSync(
  process.execPath,
  ['--import', import.meta.resolve('tsx'), path.join(apiDir, 'bench', 'fan-out.ts'), ...process.argv.slice(2)],
  { env: { ...process.env, TSX_TSCONFIG_PATH: path.join(apiDir, 'tsconfig.json') }, stdio: 'inherit' },
);
process.exit(result.status ?? 1);

import { DefectRagError } from '@defect-rag/runtime';

export interface Host {
  platform: NodeJS.Platform;
  arch: string;
}

const thisHost: Host = { platform: process.platform, arch: process.arch };

/**
 * The bundled PostgreSQL and Qdrant binaries are the Linux x64 builds; anywhere else the user has
 * to point defect-rag at servers of their own, so the error says which variable does that.
 */
export function assertEmbeddedSupported(server: 'PostgreSQL' | 'Qdrant', host: Host = thisHost): void {
  if (host.platform === 'linux' && host.arch === 'x64') return;
  const variable = server === 'PostgreSQL' ? 'DATABASE_URL' : 'QDRANT_URL';
  throw new DefectRagError(
    'PLATFORM_UNSUPPORTED',
    `The embedded ${server} runs on Linux x64 only (this is ${host.platform}-${host.arch}). ` +
      `Set ${variable} to a ${server} server of your own, or start both servers with ` +
      '`docker compose up -d postgres qdrant` and set DATABASE_URL and QDRANT_URL as shown in docker-compose.yml.',
    { server, platform: host.platform, arch: host.arch, variable },
  );
}

import { describe, expect, it } from 'vitest';
import { isDefectRagError } from '@defect-rag/runtime';
import { assertEmbeddedSupported } from '../src/platform';

describe('assertEmbeddedSupported', () => {
  it('accepts Linux x64', () => {
    expect(() => assertEmbeddedSupported('PostgreSQL', { platform: 'linux', arch: 'x64' })).not.toThrow();
  });

  it.each([
    ['PostgreSQL', 'darwin', 'arm64', 'DATABASE_URL'],
    ['Qdrant', 'win32', 'x64', 'QDRANT_URL'],
    ['Qdrant', 'linux', 'arm64', 'QDRANT_URL'],
  ] as const)('refuses %s on %s-%s, saying to set %s or use docker compose', (server, platform, arch, variable) => {
    let error: unknown;
    try {
      assertEmbeddedSupported(server, { platform, arch });
    } catch (caught) {
      error = caught;
    }
    expect(isDefectRagError(error, 'PLATFORM_UNSUPPORTED')).toBe(true);
    expect((error as Error).message).toContain(`${platform}-${arch}`);
    expect((error as Error).message).toContain(`Set ${variable}`);
    expect((error as Error).message).toContain('docker compose');
  });
});

import { existsSync } from 'node:fs';
import path from 'node:path';
import { openDatabase } from '@defect-rag/db';
import { toDefectRagError, type Config, type Logger } from '@defect-rag/runtime';
import { qdrantBinaryInfo, startServices, verifyQdrantBinary, type Services } from '@defect-rag/servers';
import { pingQdrant } from '@defect-rag/vector-store';

export interface DoctorCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

/**
 * Checks, in order, what a run needs: the servers (started or reused when embedded), the database
 * migrations, Qdrant, and the model folder. Every check runs and reports; none stops the others.
 */
export async function runDoctor(config: Config, logger: Logger): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [{ name: 'data dir', ok: true, detail: config.dataDir }];
  if (!config.qdrantUrl) {
    checks.push(
      await check('qdrant bin', async () => {
        await verifyQdrantBinary();
        const info = qdrantBinaryInfo();
        return `${info.packageName}@${info.version}, sha256 ${info.sha256.slice(0, 12)}… verified`;
      }),
    );
  }
  let services: Services | undefined;
  try {
    services = await startServices(config, logger);
    const how = (embedded: boolean) => (embedded ? 'embedded' : 'configured');
    checks.push({
      name: 'servers',
      ok: true,
      detail: `postgres ${how(services.embedded.postgres)}, qdrant ${how(services.embedded.qdrant)}`,
    });
  } catch (error) {
    checks.push(failed('servers', error));
  }
  if (services) {
    checks.push(
      await check('postgres', async () => {
        const db = await openDatabase(services.databaseUrl);
        try {
          await db.ping();
          const { applied, alreadyApplied } = db.migrations;
          return `${redact(services.databaseUrl)}; migrations: ${alreadyApplied.length + applied.length} (${applied.length} applied now)`;
        } finally {
          await db.close();
        }
      }),
    );
    checks.push(
      await check('qdrant', async () => {
        const info = await pingQdrant(services.qdrantUrl, services.qdrantApiKey);
        return `${services.qdrantUrl}; version ${info.version}; ${info.collections} collection(s)`;
      }),
    );
    await services.stop();
  }
  checks.push(modelFolderCheck(config.modelDir));
  return { ok: checks.every((c) => c.ok), checks };
}

function modelFolderCheck(modelDir: string): DoctorCheck {
  const required = ['config.json', 'preprocessor_config.json', 'tokenizer.json'];
  const missing = required.filter((file) => !existsSync(path.join(modelDir, file)));
  if (!existsSync(modelDir))
    return { name: 'model', ok: false, detail: `${modelDir} does not exist (set DEFECT_RAG_MODEL_DIR)` };
  if (missing.length > 0) return { name: 'model', ok: false, detail: `${modelDir} lacks ${missing.join(', ')}` };
  return { name: 'model', ok: true, detail: modelDir };
}

async function check(name: string, work: () => Promise<string>): Promise<DoctorCheck> {
  try {
    return { name, ok: true, detail: await work() };
  } catch (error) {
    return failed(name, error);
  }
}

function failed(name: string, error: unknown): DoctorCheck {
  const failure = toDefectRagError(error);
  return { name, ok: false, detail: `[${failure.code}] ${failure.message}` };
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}

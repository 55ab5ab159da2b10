/*
 * The local ledger's public entry point: everything scripts, bench and the CLI's callers may use.
 * Its other files are internal (eslint refuses imports of them from scripts/ and bench/), and it
 * imports nothing from stacks/ or constructs/: an emulator of Azure, not part of the IaC.
 */
import type { TokenCredential } from '@azure/core-auth';
import { createPrivateKey } from 'node:crypto';
import { existsSync, linkSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { LedgerRole } from '../vocabulary';
import { makePrivateDirectory, writeFileDurably } from './durable-files';
import { certificateUserId, createClientCertificate, loadOrCreateIdentity, type LedgerIdentity } from './identity';
import { DEFAULT_SIGNING, LocalLedger, type ServiceLimits, type SigningPolicy } from './ledger';
import { chainKeyOf, createLogFiles, type StorageHooks } from './log';
import { LedgerServer, type HttpLimits } from './server';
import { LocalTokenCredential } from './tokens';

export { setUserRole } from './admin';
export { identityPaths } from './identity';
export { DEFAULT_LIMITS, LocalLedger, type ServiceLimits } from './ledger';
export { LogCorruptError } from './log';

export interface InitialUser {
  /** an Entra object id, or a certificate's SHA-256 fingerprint (`AB:CD:…`). */
  readonly userId: string;
  readonly role: LedgerRole;
}

export interface LocalLedgerOptions {
  readonly dataDir: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** @default 'acl-local' */
  readonly ledgerId?: string;
  /** @default {@link DEFAULT_SIGNING} */
  readonly signing?: SigningPolicy;
  /** @default 1 */
  readonly loadingPolls?: number;
  /** entries per page of a ranged read. @default 100 */
  readonly pageSize?: number;
  /** bounds on slow or idle clients. @default {@link DEFAULT_HTTP_LIMITS} */
  readonly http?: Partial<HttpLimits>;
  /**
   * Users written into a new ledger's first transactions (an existing ledger keeps its own).
   * @default - only the generated local administrator
   */
  readonly initialUsers?: readonly InitialUser[];
  /** a seam for fault tests: fail or hold writes and syncs of the log and the commit watermark. */
  readonly storageHooks?: StorageHooks;
  /** the data-plane api-versions answered (e.g. only `2022-05-13`, as an old ledger). @default - all known */
  readonly apiVersions?: readonly string[];
  /** service limits, smaller ones for tests. @default {@link DEFAULT_LIMITS} (the real service's) */
  readonly limits?: Partial<ServiceLimits>;
}

/** What a client needs to reach a running local ledger. */
export interface LocalLedgerInfo {
  readonly ledgerEndpoint: string;
  readonly identityServiceUrl: string;
  readonly ledgerId: string;
  readonly serviceCertificatePath: string;
  /** a certificate user with the Administrator role, created with the ledger. */
  readonly adminCertificatePath: string;
  readonly adminKeyPath: string;
  /** signs bearer tokens the ledger accepts (see `ledger:local mint-token`). */
  readonly tokenIssuerKeyPath: string;
}

export interface RunningLedger {
  readonly info: LocalLedgerInfo;
  readonly ledger: LocalLedger;
  readonly server: LedgerServer;
  stop(): Promise<void>;
}

/** Starts a local ledger on a data folder, creating the ledger on first use. */
export async function startLocalLedger(options: LocalLedgerOptions): Promise<RunningLedger> {
  const dataDir = resolve(options.dataDir);
  makePrivateDirectory(dataDir);
  refuseSharedFolder(dataDir);
  const releaseLock = lockDataDir(dataDir);
  // whatever was started is stopped again if a later step fails: the lock must never be released
  // while a server or an open log still serves this folder.
  let ledger: LocalLedger | undefined;
  let server: LedgerServer | undefined;
  try {
    const host = options.host ?? '127.0.0.1';
    const hostnames = [...new Set(['localhost', '127.0.0.1', '::1', host])];
    // a new ledger's log exists before its identity is complete; see createLogFiles.
    const identity = await loadOrCreateLedgerIdentity(dataDir, options.ledgerId ?? 'acl-local', hostnames);
    const admin = await ensureAdminCertificate(dataDir);
    ledger = await LocalLedger.open(dataDir, identity, {
      signing: options.signing ?? DEFAULT_SIGNING,
      storageHooks: options.storageHooks,
      limits: options.limits,
    });
    if (ledger.lastSeqno === 0) {
      const users = [{ userId: admin.userId, role: 'Administrator' as const }, ...(options.initialUsers ?? [])];
      await Promise.all(users.map((u) => ledger!.setUser(u.userId, u.role)));
      await ledger.flush();
    }
    server = await LedgerServer.start(ledger, {
      host,
      port: options.port ?? 0,
      loadingPolls: options.loadingPolls,
      pageSize: options.pageSize,
      http: options.http,
      apiVersions: options.apiVersions,
    });
    const info: LocalLedgerInfo = {
      ledgerEndpoint: server.endpoint,
      identityServiceUrl: server.identityServiceUrl,
      ledgerId: identity.ledgerId,
      serviceCertificatePath: identity.serviceCertificatePath,
      adminCertificatePath: admin.certificatePath,
      adminKeyPath: admin.keyPath,
      tokenIssuerKeyPath: identity.tokenIssuerKeyPath,
    };
    writeFileDurably(join(dataDir, 'running.json'), JSON.stringify({ ...info, pid: process.pid }, null, 2));
    let stopped = false;
    const [startedLedger, startedServer] = [ledger, server];
    return {
      info,
      ledger: startedLedger,
      server: startedServer,
      async stop() {
        if (stopped) return;
        stopped = true;
        await startedServer.stop();
        await startedLedger.close();
        rmSync(join(dataDir, 'running.json'), { force: true });
        releaseLock();
      },
    };
  } catch (error) {
    await server?.stop();
    await ledger?.close();
    releaseLock();
    throw error;
  }
}

/**
 * The identity of the ledger in `dataDir`, creating it (and, before it is complete, the ledger's
 * empty log: see createLogFiles) on first use. Open the ledger itself with `LocalLedger.open`.
 */
export function loadOrCreateLedgerIdentity(dataDir: string, ledgerId: string, hostnames: readonly string[]): Promise<LedgerIdentity> {
  return loadOrCreateIdentity(dataDir, ledgerId, hostnames, (secret) => createLogFiles(dataDir, chainKeyOf(secret)));
}

/**
 * A token credential for the official SDKs that acts as Entra object id `objectId` towards the
 * ledger in `info` (and its ARM stand-in): the local counterpart of `DefaultAzureCredential`.
 * Callers never read the ledger's token issuer key themselves.
 */
export function localTokenCredential(info: LocalLedgerInfo, objectId: string): TokenCredential {
  return new LocalTokenCredential(createPrivateKey(readFileSync(info.tokenIssuerKeyPath, 'utf8')), { oid: objectId });
}

/** The connection details a running ledger on `dataDir` published, if one runs. */
export function runningLedgerInfo(dataDir: string): LocalLedgerInfo | undefined {
  const path = join(resolve(dataDir), 'running.json');
  if (!existsSync(path)) return undefined;
  const info = JSON.parse(readFileSync(path, 'utf8')) as LocalLedgerInfo & { pid: number };
  return processAlive(info.pid) ? info : undefined;
}

async function ensureAdminCertificate(dataDir: string) {
  const dir = join(dataDir, 'users');
  const certificatePath = join(dir, 'admin.cert.pem');
  const keyPath = join(dir, 'admin.key.pem');
  if (!existsSync(certificatePath)) {
    makePrivateDirectory(dir);
    const created = await createClientCertificate('acl-stack local administrator');
    writeFileDurably(keyPath, created.keyPem, 0o600);
    writeFileDurably(certificatePath, created.certificatePem);
  }
  return { certificatePath, keyPath, userId: certificateUserId(readFileSync(certificatePath, 'utf8')) };
}

/**
 * One ledger process per data folder; a lock left by a dead process is taken over. The LOCK file
 * appears whole (written under another name, then hard-linked into place), so nobody ever reads a
 * lock whose owner is not written yet; a stale lock is moved aside by one atomic rename, so two
 * starts cannot both take it.
 */
function lockDataDir(dataDir: string): () => void {
  const path = join(dataDir, 'LOCK');
  const mine = `${path}.${process.pid}`;
  try {
    writeFileDurably(mine, String(process.pid), 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${dataDir} cannot be written (${code}): the local ledger needs a writable data folder`);
  }
  const ownerOf = (file: string) => Number(readFileSync(file, 'utf8'));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(mine, path);
        return () => {
          if (existsSync(path) && ownerOf(path) === process.pid) rmSync(path, { force: true });
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const owner = ownerOf(path);
      if (processAlive(owner)) throw new Error(`${dataDir} is in use by the local ledger with process id ${owner}`);
      const aside = `${path}.stale-${process.pid}`;
      try {
        renameSync(path, aside);
      } catch {
        continue; // another start moved it first
      }
      // the rename may have caught a lock a faster start had just taken: give it back.
      const moved = ownerOf(aside);
      if (moved !== owner && processAlive(moved)) {
        linkSync(aside, path);
        rmSync(aside, { force: true });
        throw new Error(`${dataDir} is in use by the local ledger with process id ${moved}`);
      }
      rmSync(aside, { force: true });
    }
    throw new Error(`cannot lock ${dataDir}: other starts keep taking it`);
  } finally {
    rmSync(mine, { force: true });
  }
}

/** A data folder other users may write lets them rewrite the ledger's history: refuse it, as ssh refuses such key folders. */
function refuseSharedFolder(dataDir: string): void {
  const mode = statSync(dataDir).mode & 0o777;
  if (mode & 0o022) {
    throw new Error(
      `${dataDir} can be written by other users (mode ${mode.toString(8)}), who could rewrite the ledger's history; run: chmod go-w ${dataDir}`,
    );
  }
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

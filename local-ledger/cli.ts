/**
 * `npm run ledger:local -- [serve] --data <dir> --port <port>`: runs a local ledger until SIGINT or
 * SIGTERM, after printing one JSON line with its endpoint, identity service URL, ledger id and
 * certificate paths.
 * `npm run ledger:local -- mint-token --data <dir> --object-id <guid>`: prints a bearer token.
 * `npm run ledger:local -- add-cert-user --data <dir> --name <name> --role <role>`: creates a
 * client certificate and makes it a ledger user.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LEDGER_ROLES, type LedgerRole } from '../vocabulary';
import { writeFileDurably } from './durable-files';
import { certificateUserId, createClientCertificate, hasIdentity, loadIdentity } from './identity';
import { setUserRole } from './admin';
import { runningLedgerInfo, startLocalLedger, type InitialUser } from './index';
import { API_VERSIONS } from './api-versions';
import { DEFAULT_SIGNING } from './ledger';
import { ARM_AUDIENCE, LEDGER_AUDIENCE, mintToken } from './tokens';

const USAGE = `usage:
  ledger:local [serve] --data <dir> [--port 0] [--host 127.0.0.1] [--ledger-id acl-local]
               [--environment environments/dev.json] [--sign-every-ms ${DEFAULT_SIGNING.everyMs}]
               [--sign-every-tx ${DEFAULT_SIGNING.everyTransactions}] [--loading-polls 1]
               [--api-versions ${Object.keys(API_VERSIONS).join(',')}: answer only these, e.g. 2022-05-13 as an old ledger]
  ledger:local mint-token --data <dir> --object-id <guid> [--tenant-id <guid>] [--audience ledger|arm]
  ledger:local add-cert-user --data <dir> --name <name> --role Administrator|Contributor|Reader`;

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    data: { type: 'string' },
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    'ledger-id': { type: 'string', default: 'acl-local' },
    environment: { type: 'string' },
    'sign-every-ms': { type: 'string', default: String(DEFAULT_SIGNING.everyMs) },
    'sign-every-tx': { type: 'string', default: String(DEFAULT_SIGNING.everyTransactions) },
    'loading-polls': { type: 'string', default: '1' },
    'api-versions': { type: 'string', default: Object.keys(API_VERSIONS).join(',') },
    'object-id': { type: 'string' },
    'tenant-id': { type: 'string' },
    audience: { type: 'string', default: 'ledger' },
    name: { type: 'string' },
    role: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

class UsageError extends Error {}

function required(name: keyof typeof values): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function wholeNumber(name: keyof typeof values, min: number): number {
  const value = Number(required(name));
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be a whole number ≥ ${min}, not '${values[name]}'`);
  return value;
}

function apiVersions(): string[] {
  const listed = required('api-versions').split(',');
  const unknown = listed.filter((v) => !Object.hasOwn(API_VERSIONS, v));
  if (unknown.length) throw new UsageError(`--api-versions: ${unknown.join(', ')} unknown; known: ${Object.keys(API_VERSIONS).join(', ')}`);
  return listed;
}

/**
 * The ledger principals an environment file grants. The emulator reads no environment files itself
 * (it imports nothing of the IaC): `npm run ledger:local` (scripts/ledger-local.ts) passes this in.
 */
export type EnvironmentPrincipals = (file: string) => Promise<readonly LedgerPrincipal[]>;
/** A ledger principal as environment files give it: an Entra object id or a client certificate. */
export type LedgerPrincipal =
  | { readonly kind: 'entra'; readonly objectId: string; readonly role: LedgerRole }
  | { readonly kind: 'certificate'; readonly certificatePem: string; readonly role: LedgerRole };

async function serve(environmentPrincipals?: EnvironmentPrincipals): Promise<void> {
  const initialUsers: InitialUser[] = [];
  if (values.environment) {
    if (!environmentPrincipals)
      throw new UsageError("--environment needs the project's command: npm run ledger:local -- --environment <file>");
    // the same principals the environment's ARM config grants, so local runs mirror Azure's roles.
    for (const p of await environmentPrincipals(values.environment)) {
      initialUsers.push({ userId: p.kind === 'entra' ? p.objectId : certificateUserId(p.certificatePem), role: p.role });
    }
  }
  const running = await startLocalLedger({
    dataDir: required('data'),
    host: required('host'),
    port: wholeNumber('port', 0),
    ledgerId: required('ledger-id'),
    signing: { everyMs: wholeNumber('sign-every-ms', 0), everyTransactions: wholeNumber('sign-every-tx', 1) },
    loadingPolls: wholeNumber('loading-polls', 0),
    apiVersions: apiVersions(),
    initialUsers,
  });
  const { tornBytesRecovered, tornAt } = running.ledger;
  if (tornBytesRecovered) {
    console.error(
      `recovered: cut ${tornBytesRecovered} bytes at byte ${tornAt}, an incomplete final frame of a write a crash interrupted (never acknowledged)`,
    );
  }
  console.log(JSON.stringify(running.info));
  const shutdown = (signal: string) => {
    console.error(`${signal}: stopping the local ledger`);
    running.stop().then(
      () => process.exit(0),
      (error: Error) => {
        console.error(`stop failed: ${error.message}`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

async function printToken(): Promise<void> {
  const audiences: Record<string, string> = { ledger: LEDGER_AUDIENCE, arm: ARM_AUDIENCE };
  const audience = audiences[required('audience')];
  if (!audience) throw new UsageError(`--audience must be ledger or arm, not '${values.audience}'`);
  const identity = await loadExistingIdentity(required('data'));
  console.log(await mintToken(identity.tokenIssuerKey, { oid: required('object-id'), tid: values['tenant-id'] }, audience));
}

async function addCertificateUser(): Promise<void> {
  const dataDir = required('data');
  const name = required('name');
  const role = required('role') as LedgerRole;
  if (!LEDGER_ROLES.includes(role)) throw new UsageError(`--role must be one of ${LEDGER_ROLES.join(', ')}, not '${role}'`);
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(name)) throw new UsageError(`--name must be lower-case letters, digits and hyphens, not '${name}'`);
  const created = await createClientCertificate(`acl-stack local ${name}`);
  const certificatePath = join(dataDir, 'users', `${name}.cert.pem`);
  const keyPath = join(dataDir, 'users', `${name}.key.pem`);
  const running = runningLedgerInfo(dataDir);
  if (running) {
    await setUserRole(running, created.userId, role);
  } else {
    const ledger = await startLocalLedger({ dataDir, port: 0 });
    try {
      await ledger.ledger.setUser(created.userId, role);
    } finally {
      await ledger.stop();
    }
  }
  writeFileDurably(keyPath, created.keyPem, 0o600);
  writeFileDurably(certificatePath, created.certificatePem);
  console.log(JSON.stringify({ userId: created.userId, role, certificatePath, keyPath }));
}

async function loadExistingIdentity(dataDir: string) {
  if (!hasIdentity(dataDir))
    throw new UsageError(`${dataDir} holds no local ledger yet; start one with: npm run ledger:local -- --data ${dataDir}`);
  return loadIdentity(dataDir);
}

/** Runs the command `process.argv` names; `environmentPrincipals` makes `--environment` available. */
export function runLocalLedgerCli(environmentPrincipals?: EnvironmentPrincipals): void {
  const commands: Record<string, () => Promise<void>> = {
    serve: () => serve(environmentPrincipals),
    'mint-token': printToken,
    'add-cert-user': addCertificateUser,
  };
  const commandName = positionals[0] ?? 'serve';
  const command = Object.hasOwn(commands, commandName) ? commands[commandName] : undefined;
  if (values.help || !command) {
    console.log(USAGE);
    process.exitCode = command ? 0 : 2;
  } else {
    command().catch((error: Error) => {
      console.error(error instanceof UsageError ? `${error.message}\n${USAGE}` : `local ledger: ${error.message}`);
      process.exitCode = error instanceof UsageError ? 2 : 1;
    });
  }
}

if (require.main === module) runLocalLedgerCli();

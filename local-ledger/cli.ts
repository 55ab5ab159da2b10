/**
 * `npm run ledger:local -- [serve] --data <dir> --port <port>`: runs a local ledger until SIGINT or
 * SIGTERM, after printing one JSON line with its endpoint, identity service URL, ledger id and
 * certificate paths.
 * `npm run ledger:local -- mint-token --data <dir> --object-id <guid>`: prints a bearer token.
 * `npm run ledger:local -- add-cert-user --data <dir> --name <name> --role <role>`: creates a
 * client certificate and makes it a ledger user.
 */
import { join } from 'node:path';
import { Argument } from 'commander';
import { LEDGER_ROLES, type LedgerRole } from '../vocabulary';
import { CommandFailure, UsageError, createCli, runCli } from '../scripts/cli/command';
import { exitCode } from '../scripts/cli/exit-codes';
import { writeFileDurably } from './durable-files';
import { certificateUserId, createClientCertificate, hasIdentity, loadIdentity } from './identity';
import { setUserRole } from './admin';
import { runningLedgerInfo, startLocalLedger, type InitialUser } from './index';
import { API_VERSIONS } from './api-versions';
import { DEFAULT_SIGNING } from './ledger';
import { ARM_AUDIENCE, LEDGER_AUDIENCE, mintToken } from './tokens';

const cli = createCli({
  name: 'ledger:local',
  summary:
    'Runs a local ledger (an embedded wire-compatible stand-in for Azure confidential ledger) until SIGINT or SIGTERM, after printing one JSON line with its endpoint, identity service URL, ledger id and certificate paths; or mints a token, or adds a certificate user.',
  examples: [
    ['npm run ledger:local -- --data .local-ledger --port 8443', 'serve the ledger in .local-ledger/ on a fixed port'],
    ['npm run ledger:local -- --data .ll --environment environments/dev.json', "serve with dev's principals as ledger users"],
    ['npm run ledger:local -- --data .ll --api-versions 2022-05-13', 'behave as an old ledger (only that api-version)'],
    ['npm run ledger:local -- mint-token --data .ll --object-id <guid>', 'print a bearer token for that object id'],
    ['npm run ledger:local -- add-cert-user --data .ll --name agent --role Contributor', 'create a client certificate and make it a user'],
  ],
})
  .addArgument(new Argument('[command]', 'what to do').choices(['serve', 'mint-token', 'add-cert-user']).default('serve'))
  .option('--data <dir>', 'the data folder (all commands)')
  .option('--port <port>', 'serve: the port (0: any free one)', '0')
  .option('--host <host>', 'serve: the address to listen on', '127.0.0.1')
  .option('--ledger-id <id>', 'serve: the ledger name', 'acl-local')
  .option('--environment <file>', "serve: an environment file whose principals become the ledger's users")
  .option('--sign-every-ms <ms>', 'serve: sign at least this often', String(DEFAULT_SIGNING.everyMs))
  .option('--sign-every-tx <n>', 'serve: sign after this many transactions', String(DEFAULT_SIGNING.everyTransactions))
  .option('--loading-polls <n>', "serve: how many ARM polls report 'Loading' before 'Succeeded'", '1')
  .option('--api-versions <list>', 'serve: answer only these data-plane api-versions', Object.keys(API_VERSIONS).join(','))
  .option('--object-id <guid>', 'mint-token: the Entra object id (oid) of the token')
  .option('--tenant-id <guid>', 'mint-token: the tenant id (tid) of the token')
  .option('--audience <which>', 'mint-token: ledger or arm', 'ledger')
  .option('--name <name>', 'add-cert-user: the user name (lower-case letters, digits, hyphens)')
  .option('--role <role>', `add-cert-user: ${LEDGER_ROLES.join(', ')}`);

type Values = Partial<
  Record<
    | 'data'
    | 'port'
    | 'host'
    | 'ledgerId'
    | 'environment'
    | 'signEveryMs'
    | 'signEveryTx'
    | 'loadingPolls'
    | 'apiVersions'
    | 'objectId'
    | 'tenantId'
    | 'audience'
    | 'name'
    | 'role',
    string
  >
>;
let values: Values = {};

const flag = (name: keyof Values) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

function required(name: keyof Values): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag(name)} is required`);
  return value;
}

function wholeNumber(name: keyof Values, min: number): number {
  const value = Number(required(name));
  if (!Number.isInteger(value) || value < min) throw new UsageError(`${flag(name)} must be a whole number ≥ ${min}, not '${values[name]}'`);
  return value;
}

function apiVersions(): string[] {
  const listed = required('apiVersions').split(',');
  const unknown = listed.filter((v) => !Object.hasOwn(API_VERSIONS, v));
  if (unknown.length) throw new UsageError(`--api-versions: ${unknown.join(', ')} unknown; known: ${Object.keys(API_VERSIONS).join(', ')}`);
  return listed;
}

/** The ledger's own start-up refusals (a changed log, a folder in use or not writable): reported as such, not as defects. */
const refusedStart = (error: Error): never => {
  throw new CommandFailure(error.message, 'failed');
};

/**
 * The ledger principals an environment file grants. The emulator reads no environment files itself
 * (it imports nothing of the IaC): `npm run ledger:local` (scripts/ledger-local.ts) passes this in.
 */
export type EnvironmentPrincipals = (file: string) => Promise<readonly LedgerPrincipal[]>;
/** A ledger principal as environment files give it: an Entra object id or a client certificate. */
export type LedgerPrincipal =
  | { readonly kind: 'entra'; readonly objectId: string; readonly role: LedgerRole }
  | { readonly kind: 'certificate'; readonly certificatePem: string; readonly role: LedgerRole };

async function serve(environmentPrincipals?: EnvironmentPrincipals): Promise<number> {
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
    ledgerId: required('ledgerId'),
    signing: { everyMs: wholeNumber('signEveryMs', 0), everyTransactions: wholeNumber('signEveryTx', 1) },
    loadingPolls: wholeNumber('loadingPolls', 0),
    apiVersions: apiVersions(),
    initialUsers,
  }).catch(refusedStart);
  const { tornBytesRecovered, tornAt } = running.ledger;
  if (tornBytesRecovered) {
    console.error(
      `recovered: cut ${tornBytesRecovered} bytes at byte ${tornAt}, an incomplete final frame of a write a crash interrupted (never acknowledged)`,
    );
  }
  console.log(JSON.stringify(running.info));
  // serves until a signal, then stops cleanly.
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  console.error(`${signal}: stopping the local ledger`);
  await running.stop().catch((error: Error) => {
    throw new CommandFailure(`stop failed: ${error.message}`, 'failed');
  });
  return exitCode('ok');
}

async function printToken(): Promise<number> {
  const audiences: Record<string, string> = { ledger: LEDGER_AUDIENCE, arm: ARM_AUDIENCE };
  const audience = audiences[required('audience')];
  if (!audience) throw new UsageError(`--audience must be ledger or arm, not '${values.audience}'`);
  const identity = await loadExistingIdentity(required('data'));
  console.log(await mintToken(identity.tokenIssuerKey, { oid: required('objectId'), tid: values.tenantId }, audience));
  return exitCode('ok');
}

async function addCertificateUser(): Promise<number> {
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
    const ledger = await startLocalLedger({ dataDir, port: 0 }).catch(refusedStart);
    try {
      await ledger.ledger.setUser(created.userId, role);
    } finally {
      await ledger.stop();
    }
  }
  writeFileDurably(keyPath, created.keyPem, 0o600);
  writeFileDurably(certificatePath, created.certificatePem);
  console.log(JSON.stringify({ userId: created.userId, role, certificatePath, keyPath }));
  return exitCode('ok');
}

async function loadExistingIdentity(dataDir: string) {
  if (!hasIdentity(dataDir))
    throw new UsageError(`${dataDir} holds no local ledger yet; start one with: npm run ledger:local -- --data ${dataDir}`);
  return loadIdentity(dataDir);
}

/** Runs the command `process.argv` names; `environmentPrincipals` makes `--environment` available. */
export function runLocalLedgerCli(environmentPrincipals?: EnvironmentPrincipals): void {
  const commands = { serve: () => serve(environmentPrincipals), 'mint-token': printToken, 'add-cert-user': addCertificateUser };
  runCli<Values>(cli, (parsed, [command]) => {
    values = parsed;
    return commands[command as keyof typeof commands]();
  });
}

if (require.main === module) runLocalLedgerCli();

/**
 * `npm run smoke -- --env <name>`: proves that an environment's ledger appends, commits, reads back
 * and issues a receipt that verifies against its identity, and writes the evidence. `--env local`
 * uses (or starts) the local ledger. Exit code 0 on success, 10–18 for the step that failed, 2 for
 * bad usage.
 */
import { ConfidentialLedgerClient as ArmClient } from '@azure/arm-confidentialledger';
import { DefaultAzureCredential } from '@azure/identity';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { EnvironmentConfigError, loadEnvironmentFile } from '../stacks/environment-config';
import { stackName } from '../stacks/ledger-stack';
import { allStacksSha256, stackSha256 } from '../stacks/stack-hash';
import { defaultCommit, defaultRunId } from './smoke/run-metadata';
import { runSmoke, type LedgerCredential, type SmokeResult } from './smoke/run-smoke';
import { SMOKE_STEPS } from './smoke/steps';
import { prepareLocalSmoke, resolveFromArm } from './smoke/targets';

const USAGE = `usage: smoke --env <name|local> [--environments-dir environments] [--evidence-dir evidence]
             [--run-id <id>] [--commit <sha>] [--cdktf-out cdktf.out] [--data .local-ledger]
             [--client-cert <pem> --client-key <pem>] [--reader-cert <pem> --reader-key <pem>]
             [--commit-timeout-ms 60000] [--receipt-timeout-ms 60000]
exit codes: 0 passed, 2 usage, ${Object.entries(SMOKE_STEPS)
  .map(([name, s]) => `${s.exitCode} ${name}`)
  .join(', ')}`;

export interface SmokeCliOptions {
  readonly env: string;
  readonly environmentsDir: string;
  readonly evidenceDir: string;
  readonly runId: string;
  readonly commit: string;
  readonly cdktfOut: string;
  readonly dataDir: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly readerCert?: string;
  readonly readerKey?: string;
  readonly commitTimeoutMs: number;
  readonly receiptTimeoutMs: number;
  readonly report: (line: string) => void;
}

/** Runs the smoke test for one environment (Azure or local). */
export async function smoke(options: SmokeCliOptions): Promise<SmokeResult & { serviceCertificatePath?: string }> {
  const common = {
    environment: options.env,
    runId: options.runId,
    commit: options.commit,
    evidenceRoot: options.evidenceDir,
    commitTimeoutMs: options.commitTimeoutMs,
    receiptTimeoutMs: options.receiptTimeoutMs,
    report: options.report,
  };
  if (options.env === 'local') {
    const local = await prepareLocalSmoke(options.dataDir);
    try {
      const result = await runSmoke({
        ...common,
        resolveTarget: local.resolveTarget,
        credential: local.credential,
        reader: local.reader,
        stackSha256: allStacksSha256(options.cdktfOut),
      });
      return { ...result, serviceCertificatePath: result.evidenceDir && join(result.evidenceDir, 'service-certificate.pem') };
    } finally {
      await local.stop();
    }
  }
  const env = loadEnvironmentFile(join(options.environmentsDir, `${options.env}.json`));
  const azure = new DefaultAzureCredential();
  const credential: LedgerCredential =
    options.clientCert && options.clientKey
      ? {
          kind: 'certificate',
          certificatePem: readFileSync(options.clientCert, 'utf8'),
          keyPem: readFileSync(options.clientKey, 'utf8'),
          description: `certificate ${options.clientCert}`,
        }
      : { kind: 'token', credential: azure, description: 'the DefaultAzureCredential identity (workload identity in pipelines)' };
  const reader: LedgerCredential | undefined =
    options.readerCert && options.readerKey
      ? {
          kind: 'certificate',
          certificatePem: readFileSync(options.readerCert, 'utf8'),
          keyPem: readFileSync(options.readerKey, 'utf8'),
          description: `reader certificate ${options.readerCert}`,
        }
      : undefined;
  const result = await runSmoke({
    ...common,
    resolveTarget: () => resolveFromArm(new ArmClient(azure, env.subscriptionId), env.resourceGroup.name, env.ledger.name),
    credential,
    reader,
    stackSha256: stackSha256(options.cdktfOut, stackName(env.name)),
  });
  return { ...result, serviceCertificatePath: result.evidenceDir && join(result.evidenceDir, 'service-certificate.pem') };
}

export function parseSmokeArgs(argv: string[]): Omit<SmokeCliOptions, 'report'> {
  const { values } = parseArgs({
    args: argv,
    options: {
      env: { type: 'string' },
      'environments-dir': { type: 'string', default: process.env.ACL_ENVIRONMENTS_DIR ?? 'environments' },
      'evidence-dir': { type: 'string', default: 'evidence' },
      'run-id': { type: 'string' },
      commit: { type: 'string' },
      'cdktf-out': { type: 'string', default: 'cdktf.out' },
      data: { type: 'string', default: '.local-ledger' },
      'client-cert': { type: 'string' },
      'client-key': { type: 'string' },
      'reader-cert': { type: 'string' },
      'reader-key': { type: 'string' },
      'commit-timeout-ms': { type: 'string', default: '60000' },
      'receipt-timeout-ms': { type: 'string', default: '60000' },
    },
  });
  if (!values.env) throw new Error('--env is required');
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(values.env)) throw new Error(`--env '${values.env}' is not an environment name`);
  const runId = values['run-id'] ?? defaultRunId();
  if (!/^[\w.-]{1,100}$/.test(runId)) throw new Error(`--run-id '${runId}' may hold only letters, digits, '.', '_' and '-'`);
  const ms = (name: 'commit-timeout-ms' | 'receipt-timeout-ms') => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number of milliseconds`);
    return value;
  };
  return {
    env: values.env,
    environmentsDir: values['environments-dir']!,
    evidenceDir: values['evidence-dir']!,
    runId,
    commit: values.commit ?? defaultCommit(),
    cdktfOut: values['cdktf-out']!,
    dataDir: values.data!,
    clientCert: values['client-cert'],
    clientKey: values['client-key'],
    readerCert: values['reader-cert'],
    readerKey: values['reader-key'],
    commitTimeoutMs: ms('commit-timeout-ms'),
    receiptTimeoutMs: ms('receipt-timeout-ms'),
  };
}

if (require.main === module) {
  let parsed: Omit<SmokeCliOptions, 'report'>;
  try {
    parsed = parseSmokeArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  smoke({ ...parsed, report: (line) => console.log(line) }).then(
    (result) => {
      if (result.ok) {
        console.log(`\nverified transaction ${result.transactionId}\nevidence: ${result.evidenceDir}`);
      } else {
        console.error(`\nsmoke test FAILED: ${result.failure?.message}${result.evidenceDir ? `\nevidence: ${result.evidenceDir}` : ''}`);
      }
      process.exit(result.exitCode);
    },
    (error: Error) => {
      console.error(error instanceof EnvironmentConfigError ? `smoke refused:\n${error.message}` : `smoke: ${error.message}`);
      process.exit(error instanceof EnvironmentConfigError ? 2 : SMOKE_STEPS.resolve.exitCode);
    },
  );
}

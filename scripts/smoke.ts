/**
 * `npm run smoke -- --env <name>`: proves that an environment's ledger appends, commits, reads back
 * and issues a receipt that verifies against its identity, and writes the evidence. `--env local`
 * uses (or starts) the local ledger. Exit code 0 on success, 10–18 for the step that failed, 2 for
 * bad usage.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deployedAlertRules } from '../stacks/alerts-config';
import { EnvironmentConfigError } from '../stacks/environment-config';
import { stackName } from '../stacks/ledger-stack';
import { allStacksSha256, stackSha256 } from '../stacks/stack-hash';
import { COMMON_OPTIONS, COMMON_USAGE, commonSettings, environmentName } from './cli-options';
import { runSmoke, type SmokeResult } from './smoke/run-smoke';
import { SMOKE_STEPS } from './smoke/steps';
import { connectEnvironment, type ConnectOptions } from './smoke/targets';

const USAGE = `usage: smoke --env <name|local> [--reader-cert <pem> --reader-key <pem>]
  [--commit-timeout-ms 60000] [--receipt-timeout-ms 60000]
  ${COMMON_USAGE}
exit codes: 0 passed, 2 usage, ${Object.entries(SMOKE_STEPS)
  .map(([name, s]) => `${s.exitCode} ${name}`)
  .join(', ')}`;

export interface SmokeCliOptions extends ConnectOptions {
  readonly env: string;
  readonly evidenceDir: string;
  readonly runId: string;
  readonly commit: string;
  readonly cdktfOut: string;
  readonly commitTimeoutMs: number;
  readonly receiptTimeoutMs: number;
  readonly report: (line: string) => void;
}

/** Runs the smoke test for one environment (Azure, or a local ledger standing in for it). */
export async function smoke(options: SmokeCliOptions): Promise<SmokeResult & { serviceCertificatePath?: string }> {
  const connection = await connectEnvironment(options.env, options);
  try {
    const result = await runSmoke({
      environment: options.env,
      runId: options.runId,
      commit: options.commit,
      evidenceRoot: options.evidenceDir,
      commitTimeoutMs: options.commitTimeoutMs,
      receiptTimeoutMs: options.receiptTimeoutMs,
      report: options.report,
      resolveTarget: connection.resolveTarget,
      credential: connection.credential,
      reader: connection.reader,
      stackSha256: options.env === 'local' ? allStacksSha256(options.cdktfOut) : stackSha256(options.cdktfOut, stackName(options.env)),
      alertRules: options.env === 'local' ? null : deployedAlertRules(options.cdktfOut, stackName(options.env)),
    });
    return { ...result, serviceCertificatePath: result.evidenceDir && join(result.evidenceDir, 'service-certificate.pem') };
  } finally {
    await connection.stop();
  }
}

export function parseSmokeArgs(argv: string[]): Omit<SmokeCliOptions, 'report'> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      env: { type: 'string' },
      'reader-cert': { type: 'string' },
      'reader-key': { type: 'string' },
      'commit-timeout-ms': { type: 'string', default: '60000' },
      'receipt-timeout-ms': { type: 'string', default: '60000' },
    },
  });
  const env = environmentName('env', values.env);
  const ms = (name: 'commit-timeout-ms' | 'receipt-timeout-ms') => {
    const value = Number(values[name]);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive whole number of milliseconds`);
    return value;
  };
  const common = commonSettings(values);
  return {
    ...common,
    env,
    // --env local always means the local ledger; any other environment may be stood in for by one.
    localData: common.localData ?? (env === 'local' ? '.local-ledger' : undefined),
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

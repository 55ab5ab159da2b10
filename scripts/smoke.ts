/**
 * `npm run smoke -- --env <name>`: proves that an environment's ledger appends, commits, reads back
 * and issues a receipt that verifies against its identity, and writes the evidence. `--env local`
 * uses (or starts) the local ledger. Exit code 0 on success, 10–18 for the step that failed, 2 for
 * bad usage.
 */
import { join } from 'node:path';
import { deployedAlertRules } from '../stacks/alerts-config';
import { EnvironmentConfigError } from '../stacks/environment-config';
import { stackName } from '../stacks/ledger-stack';
import { allStacksSha256, stackSha256 } from '../stacks/stack-hash';
import { createCli, environmentNameArg, readableFile, runCli, wholeNumber } from './cli/command';
import { addCommonOptions, commonSettings, type CommonValues } from './cli-options';
import { runSmoke, type SmokeResult } from './smoke/run-smoke';
import { connectEnvironment, type ConnectOptions } from './smoke/targets';

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

function smokeCli() {
  return addCommonOptions(
    createCli({
      name: 'smoke',
      summary:
        "Proves that an environment's ledger appends, commits, reads back and issues a receipt that verifies against its identity, and writes the evidence.",
      examples: [
        ['npm run smoke -- --env local', 'smoke-test the local ledger (started on .local-ledger/ when none runs)'],
        ['npm run smoke -- --env dev', "smoke-test dev's Azure ledger with the Azure credential chain"],
        ['npm run smoke -- --env dev --local-data .ll-dev', 'rehearse dev against a local ledger standing in for it'],
      ],
    })
      .requiredOption('--env <name>', 'the environment (an environments/<name>.json), or local', environmentNameArg)
      .option('--reader-cert <pem>', 'a Reader client certificate (with --reader-key) for the role-separation step', readableFile)
      .option('--reader-key <pem>', 'the private key of --reader-cert', readableFile)
      .option('--commit-timeout-ms <ms>', 'how long to wait for the entry to commit', wholeNumber(1), 60_000)
      .option('--receipt-timeout-ms <ms>', 'how long to wait for the receipt', wholeNumber(1), 60_000),
  );
}

interface SmokeValues extends CommonValues {
  readonly env: string;
  readonly readerCert?: string;
  readonly readerKey?: string;
  readonly commitTimeoutMs: number;
  readonly receiptTimeoutMs: number;
}

function smokeSettings(values: SmokeValues): Omit<SmokeCliOptions, 'report'> {
  const common = commonSettings(values);
  return {
    ...common,
    env: values.env,
    // --env local always means the local ledger; any other environment may be stood in for by one.
    localData: common.localData ?? (values.env === 'local' ? '.local-ledger' : undefined),
    readerCert: values.readerCert,
    readerKey: values.readerKey,
    commitTimeoutMs: values.commitTimeoutMs,
    receiptTimeoutMs: values.receiptTimeoutMs,
  };
}

if (require.main === module) {
  runCli<SmokeValues>(
    smokeCli(),
    async (values) => {
      const result = await smoke({ ...smokeSettings(values), report: (line) => console.log(line) });
      if (result.ok) {
        console.log(`\nverified transaction ${result.transactionId}\nevidence: ${result.evidenceDir}`);
      } else {
        console.error(`\nsmoke test FAILED: ${result.failure?.message}${result.evidenceDir ? `\nevidence: ${result.evidenceDir}` : ''}`);
      }
      return result.exitCode;
    },
    [[EnvironmentConfigError, 'usage', 'smoke refused']],
  );
}

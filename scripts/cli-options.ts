import { Option, type Command } from 'commander';
import { UsageError, readableFile } from './cli/command';
import { defaultCommit, defaultRunId } from './smoke/run-metadata';
import type { ConnectOptions } from './smoke/targets';

/** Where environment files are read from: `--environments-dir`, `$ACL_ENVIRONMENTS_DIR`, or `environments/`. */
export const environmentsDirOption = () =>
  new Option('--environments-dir <dir>', 'the folder of environment files').env('ACL_ENVIRONMENTS_DIR').default('environments');

/** Where the synthesized stacks are: `--cdktf-out`, `$CDKTF_OUTDIR`, or `cdktf.out/`. */
export const cdktfOutOption = () =>
  new Option('--cdktf-out <dir>', 'the synthesized stacks (npm run synth)').env('CDKTF_OUTDIR').default('cdktf.out');

/** Adds the options shared by smoke, attest, promote and audit. */
export function addCommonOptions(command: Command): Command {
  return command
    .addOption(environmentsDirOption())
    .option('--evidence-dir <dir>', 'where evidence packages are written and read', 'evidence')
    .option('--run-id <id>', 'names the evidence package (default: the pipeline run, else a random id)')
    .option('--commit <sha>', 'the commit recorded (default: $GITHUB_SHA, $BUILD_SOURCEVERSION or git HEAD)')
    .addOption(cdktfOutOption())
    .option('--local-data <dir>', 'a local ledger (started if none runs on it) standing in for the environment')
    .option('--client-cert <pem>', 'authenticate with this client certificate (with --client-key) instead of Entra ID', readableFile)
    .option('--client-key <pem>', 'the private key of --client-cert', readableFile);
}

/** What {@link addCommonOptions} parses to. */
export interface CommonValues {
  readonly environmentsDir: string;
  readonly evidenceDir: string;
  readonly runId?: string;
  readonly commit?: string;
  readonly cdktfOut: string;
  readonly localData?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
}

export interface CommonSettings extends ConnectOptions {
  readonly evidenceDir: string;
  readonly runId: string;
  readonly commit: string;
  readonly cdktfOut: string;
}

/** Checks and completes the shared options; throws {@link UsageError} naming the option on bad input. */
export function commonSettings(values: CommonValues): CommonSettings {
  const runId = values.runId ?? defaultRunId();
  if (!/^[\w.-]{1,100}$/.test(runId)) throw new UsageError(`--run-id '${runId}' may hold only letters, digits, '.', '_' and '-'`);
  if (Boolean(values.clientCert) !== Boolean(values.clientKey)) throw new UsageError('--client-cert and --client-key go together');
  return {
    environmentsDir: values.environmentsDir,
    evidenceDir: values.evidenceDir,
    runId,
    commit: values.commit ?? defaultCommit(),
    cdktfOut: values.cdktfOut,
    localData: values.localData,
    clientCert: values.clientCert,
    clientKey: values.clientKey,
  };
}

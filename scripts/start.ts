/**
 * `npm start`: the main job on a fresh machine. Synthesizes every environment, starts the local
 * ledger, smoke-tests it end to end, prints the verified transaction and where the evidence is,
 * and stops the ledger. Needs no Azure, no Terraform providers and no network.
 */
import { join, relative } from 'node:path';
import { LogCorruptError } from '../local-ledger';
import { EnvironmentConfigError } from '../stacks/environment-config';
import { SynthError, synthAll } from '../stacks/synth';
import { defaultCommit, defaultRunId } from './smoke/run-metadata';
import { smoke } from './smoke';
import { createCli, runCli } from './cli/command';
import { exitCode } from './cli/exit-codes';

async function main(): Promise<number> {
  const environmentsDir = process.env.ACL_ENVIRONMENTS_DIR ?? 'environments';
  const cdktfOut = process.env.CDKTF_OUTDIR ?? 'cdktf.out';
  console.log(`1/2 synthesizing every environment in ${environmentsDir}/`);
  try {
    const { stackDirs } = synthAll({ environmentsDir, outdir: cdktfOut });
    for (const [name, dir] of Object.entries(stackDirs)) console.log(`    ${name} → ${relative(process.cwd(), dir)}/cdk.tf.json`);
  } catch (error) {
    if (error instanceof EnvironmentConfigError || error instanceof SynthError) {
      console.error(`synth refused:\n${error.message}`);
      return exitCode('usage');
    }
    throw error;
  }

  console.log('2/2 smoke-testing the local ledger');
  const result = await smoke({
    env: 'local',
    environmentsDir,
    evidenceDir: process.env.ACL_EVIDENCE_DIR ?? 'evidence',
    runId: defaultRunId(),
    commit: defaultCommit(),
    cdktfOut,
    localData: process.env.ACL_LOCAL_LEDGER_DATA ?? '.local-ledger',
    commitTimeoutMs: 30_000,
    receiptTimeoutMs: 30_000,
    report: (line) => console.log(`    ${line}`),
  });
  if (!result.ok) {
    console.error(`\nsmoke test FAILED: ${result.failure?.message}`);
    return result.exitCode;
  }
  const evidence = result.evidenceDir!;
  console.log(`
verified transaction: ${result.transactionId}
evidence:             ${evidence}/
service certificate:  ${result.serviceCertificatePath}
check it yourself:    npm run verify-receipt -- ${join(evidence, 'receipt.json')} --service-cert ${result.serviceCertificatePath}`);
  return exitCode('ok');
}

const cli = createCli({
  name: 'start',
  summary:
    'The main job on a fresh machine: synthesizes every environment, starts the local ledger, smoke-tests it end to end, prints the verified transaction and where the evidence is, and stops the ledger. Needs no Azure, no Terraform and no network.',
  examples: [
    ['npm start', 'synthesize into cdktf.out/, smoke-test the local ledger in .local-ledger/, evidence in evidence/local/'],
    [
      'ACL_ENVIRONMENTS_DIR=my-envs CDKTF_OUTDIR=/tmp/out ACL_EVIDENCE_DIR=/tmp/ev ACL_LOCAL_LEDGER_DATA=/tmp/ll npm start',
      'the same with other folders',
    ],
  ],
});
runCli(cli, main, [
  [
    LogCorruptError,
    'failed',
    'npm start: the local ledger refuses to serve a log that was changed; keep it for inspection and move it aside to start afresh',
  ],
]);

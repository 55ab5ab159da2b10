/**
 * `npm run attest -- --env <name> [--pipeline-run <id>]`: after a deploy, records an
 * `acl-stack/deployment/v1` entry (stack hash, commit, pipeline run) in the environment's own
 * ledger, verifies its receipt and keeps it in `<evidence>/<env>/deployment-<run-id>/`.
 * Exit 0 recorded, 2 bad usage, 10–18 a ledger step failed (as in smoke).
 */
import { parseArgs } from 'node:util';
import { EnvironmentConfigError } from '../stacks/environment-config';
import { stackName } from '../stacks/ledger-stack';
import { stackSha256 } from '../stacks/stack-hash';
import { COMMON_OPTIONS, COMMON_USAGE, commonSettings, environmentName } from './cli-options';
import { recordAttestation } from './delivery/attestation';

if (require.main === module) {
  const usage = `usage: attest --env <name> [--pipeline-run <url or id>]\n  ${COMMON_USAGE}`;
  let run: () => ReturnType<typeof recordAttestation>;
  try {
    const { values } = parseArgs({ options: { ...COMMON_OPTIONS, env: { type: 'string' }, 'pipeline-run': { type: 'string' } } });
    const common = commonSettings(values);
    const environment = environmentName('env', values.env);
    const hash = stackSha256(common.cdktfOut, stackName(environment));
    if (!hash) throw new Error(`the ${environment} stack is not synthesized in ${common.cdktfOut}: run npm run synth first`);
    run = () =>
      recordAttestation({
        ...common,
        environment,
        kind: 'deployment',
        stackSha256: hash,
        claims: { environment, pipelineRunId: values['pipeline-run'] ?? common.runId },
        report: (line) => console.log(line),
      });
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  run().then(
    (result) => {
      if (result.ok)
        console.log(`\ndeployment attested: transaction ${result.transactionId}, receipt verified\nevidence: ${result.evidenceDir}`);
      else console.error(`\ndeployment attestation FAILED: ${result.failure?.message}`);
      process.exit(result.exitCode);
    },
    (error: Error) => {
      console.error(error instanceof EnvironmentConfigError ? `attest refused:\n${error.message}` : `attest: ${error.message}`);
      process.exit(2);
    },
  );
}

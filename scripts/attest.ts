/**
 * `npm run attest -- --env <name> [--pipeline-run <id>]`: after a deploy, records an
 * `acl-stack/deployment/v1` entry (stack hash, commit, pipeline run) in the environment's own
 * ledger, verifies its receipt and keeps it in `<evidence>/<env>/deployment-<run-id>/`.
 * Exit codes: scripts/cli/exit-codes.ts (`--help` lists them).
 */
import { EnvironmentConfigError } from '../stacks/environment-config';
import { stackName } from '../stacks/ledger-stack';
import { stackSha256 } from '../stacks/stack-hash';
import { UsageError, createCli, environmentNameArg, runCli } from './cli/command';
import { addCommonOptions, commonSettings, type CommonValues } from './cli-options';
import { recordAttestation } from './delivery/attestation';

if (require.main === module) {
  const command = addCommonOptions(
    createCli({
      name: 'attest',
      summary:
        "After a deploy, records an acl-stack/deployment/v1 entry (stack hash, commit, pipeline run) in the environment's own ledger, verifies its receipt and keeps the evidence.",
      examples: [
        ['npm run attest -- --env dev', "attest the synthesized dev stack in dev's ledger (run npm run synth first)"],
        [
          'npm run attest -- --env dev --pipeline-run "$GITHUB_RUN_ID" --local-data .ll-dev',
          'rehearse it against a local ledger standing in for dev',
        ],
      ],
    })
      .requiredOption('--env <name>', 'the environment that was deployed', environmentNameArg)
      .option('--pipeline-run <url or id>', 'the pipeline run recorded (default: --run-id)'),
  );
  runCli<CommonValues & { env: string; pipelineRun?: string }>(
    command,
    async (values) => {
      const common = commonSettings(values);
      const environment = values.env;
      const hash = stackSha256(common.cdktfOut, stackName(environment));
      if (!hash) throw new UsageError(`the ${environment} stack is not synthesized in ${common.cdktfOut}: run npm run synth first`);
      const result = await recordAttestation({
        ...common,
        environment,
        kind: 'deployment',
        stackSha256: hash,
        claims: { environment, pipelineRunId: values.pipelineRun ?? common.runId },
        report: (line) => console.log(line),
      });
      if (result.ok)
        console.log(`\ndeployment attested: transaction ${result.transactionId}, receipt verified\nevidence: ${result.evidenceDir}`);
      else console.error(`\ndeployment attestation FAILED: ${result.failure?.message}`);
      return result.exitCode;
    },
    [[EnvironmentConfigError, 'usage', 'attest refused']],
  );
}

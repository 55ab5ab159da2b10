/**
 * `npm run deploy-environment -- --env <name> --promote-from <a,b> --plan-dir <reviewed plan>`: the
 * one deploy sequence both pipelines call (scripts/pipeline/deploy-sequence.ts): synth → gate → plan
 * check → preflight → apply → attest → smoke → evidence, stopping at the first failure with a
 * native annotation. Exit 0 deployed; otherwise the failing step's own code (scripts/cli/exit-codes.ts).
 */
import { UsageError, createCli, environmentNameArg, readableFile, runCli } from './cli/command';
import { addCommonOptions, commonSettings, type CommonValues } from './cli-options';
import { addOverrideOptions, overrideFromFlags } from './plan-report';
import { deploySequence } from './pipeline/deploy-sequence';

/** The run's URL as each CI system spells it, else the run id. */
export function pipelineRunUrl(runId: string, env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY)
    return `${env.GITHUB_SERVER_URL ?? 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`;
  if (env.BUILD_BUILDID && env.SYSTEM_COLLECTIONURI)
    return `${env.SYSTEM_COLLECTIONURI}${env.SYSTEM_TEAMPROJECT ?? ''}/_build/results?buildId=${env.BUILD_BUILDID}`;
  return runId;
}

/** `a, b` → ['a', 'b']; '' → [] (a root). */
export function predecessors(list: string): string[] {
  return list
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean)
    .map((name) => {
      if (!/^[a-z][a-z0-9-]{0,19}$/.test(name)) throw new UsageError(`--promote-from '${name}' is not an environment name`);
      return name;
    });
}

interface DeployEnvironmentValues extends CommonValues {
  readonly env: string;
  readonly promoteFrom: string;
  readonly planDir: string;
  readonly artifactsDir?: string;
  readonly terraform: string;
  readonly pipelineRun?: string;
  readonly summary?: string;
  readonly allowReplace?: readonly string[];
  readonly overrideReason?: string;
  readonly approver?: string;
  readonly fromLocalData?: string;
  readonly sourceCertificate?: string;
}

function deployEnvironmentCli() {
  return addOverrideOptions(
    addCommonOptions(
      createCli({
        name: 'deploy-environment',
        summary:
          'The one deploy sequence both pipelines call: synth, promotion gate, plan check (refusing ledger or vault replacement), preflight, apply, attestations, smoke test, evidence; it stops at the first failure with a native CI annotation.',
        examples: [
          [
            'npm run deploy-environment -- --env dev --plan-dir cdktf.out/stacks/acl-dev',
            'deploy dev (a first environment) from its reviewed plan',
          ],
          [
            'npm run deploy-environment -- --env prod --promote-from test --plan-dir plan-prod --artifacts-dir artifacts',
            "deploy prod, gated on test's evidence as CI downloaded it",
          ],
        ],
      })
        .requiredOption('--env <name>', 'the environment to deploy', environmentNameArg)
        .requiredOption('--plan-dir <dir>', 'the folder holding the reviewed tfplan and its cdk.tf.json')
        .option('--promote-from <env,...>', 'its predecessors, whose evidence gates this deploy (empty for a first environment)', '')
        .option('--artifacts-dir <dir>', "the predecessors' evidence as CI downloads it, one folder evidence-<env> each")
        .option('--terraform <path>', 'the terraform executable', 'terraform')
        .option('--pipeline-run <url>', 'the pipeline run recorded in the deployment attestation (default: from the CI environment)')
        .option('--summary <file>', 'also write the Markdown summary here')
        .option('--approver <who>', 'who approved (outside CI only)')
        .option('--from-local-data <dir>', "a stand-in local ledger for the predecessors' ledgers")
        .option('--source-certificate <pem>', "pin the predecessors' ledger certificate (offline gates)", readableFile),
    ),
  );
}

function main(values: DeployEnvironmentValues): number {
  const common = commonSettings(values);
  const promoteFrom = predecessors(values.promoteFrom);
  if (promoteFrom.includes(values.env)) throw new UsageError(`--promote-from names ${values.env} itself`);
  return deploySequence({
    ...common,
    environment: values.env,
    promoteFrom,
    planDir: values.planDir,
    artifactsDir: values.artifactsDir,
    terraform: values.terraform,
    pipelineRun: values.pipelineRun ?? pipelineRunUrl(common.runId),
    summaryFile: values.summary,
    override: overrideFromFlags(values.allowReplace, values.overrideReason),
    approver: values.approver,
    fromLocalData: values.fromLocalData,
    sourceCertificate: values.sourceCertificate,
    print: (line) => console.log(line),
  }).exitCode;
}

if (require.main === module) runCli(deployEnvironmentCli(), main);

/**
 * `npm run deploy-environment -- --env <name> --promote-from <a,b> --plan-dir <reviewed plan>`: the
 * one deploy sequence both pipelines call (scripts/pipeline/deploy-sequence.ts): synth → gate → plan
 * check → preflight → apply → attest → smoke → evidence, stopping at the first failure with a
 * native annotation. Exit 0 deployed; otherwise the failing step's code: 2 usage or refused synth,
 * 3 gate refused, 4 terraform failed (3 terraform missing), 6 ledger/key vault deletion refused,
 * 1 preflight or another failure, 10–18 a ledger step (as in smoke).
 */
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, COMMON_USAGE, commonSettings, environmentName } from './cli-options';
import { overrideFromFlags } from './plan-report';
import { DEPLOY_EXIT_CODES, deploySequence, type DeploySequenceOptions } from './pipeline/deploy-sequence';

const USAGE = `usage: deploy-environment --env <name> --plan-dir <folder holding the reviewed tfplan and its cdk.tf.json>
  [--promote-from <env,env>: predecessors whose evidence gates this deploy; empty for a root] [--terraform terraform]
  [--artifacts-dir <dir>: the predecessors' evidence artifacts as CI downloads them, one folder evidence-<env> each]
  [--pipeline-run <url>] [--summary <file>] [--allow-replace <address> (repeat) --override-reason "<why>"]
  [--approver <who>: outside CI only] [--from-local-data <dir>] [--source-certificate <pem>]
  ${COMMON_USAGE}`;

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
    .map((name) => environmentName('promote-from', name));
}

function parse(argv: string[]): DeploySequenceOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      env: { type: 'string' },
      'promote-from': { type: 'string', default: '' },
      'plan-dir': { type: 'string' },
      'artifacts-dir': { type: 'string' },
      terraform: { type: 'string', default: 'terraform' },
      'pipeline-run': { type: 'string' },
      summary: { type: 'string' },
      'allow-replace': { type: 'string', multiple: true },
      'override-reason': { type: 'string' },
      approver: { type: 'string' },
      'from-local-data': { type: 'string' },
      'source-certificate': { type: 'string' },
    },
  });
  const common = commonSettings(values);
  const environment = environmentName('env', values.env);
  if (!values['plan-dir']) throw new Error('--plan-dir is required (where the plan artifact was downloaded)');
  const promoteFrom = predecessors(values['promote-from']!);
  if (promoteFrom.includes(environment)) throw new Error(`--promote-from names ${environment} itself`);
  return {
    ...common,
    environment,
    promoteFrom,
    planDir: values['plan-dir'],
    artifactsDir: values['artifacts-dir'],
    terraform: values.terraform!,
    pipelineRun: values['pipeline-run'] ?? pipelineRunUrl(common.runId),
    summaryFile: values.summary,
    override: overrideFromFlags(values['allow-replace'], values['override-reason']),
    approver: values.approver,
    fromLocalData: values['from-local-data'],
    sourceCertificate: values['source-certificate'],
    print: (line) => console.log(line),
  };
}

if (require.main === module) {
  let options: DeploySequenceOptions;
  try {
    options = parse(process.argv.slice(2));
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(DEPLOY_EXIT_CODES.usage);
  }
  process.exit(deploySequence(options).exitCode);
}

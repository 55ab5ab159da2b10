import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EnvironmentConfigError } from '../../stacks/environment-config';
import { stackName } from '../../stacks/ledger-stack';
import { SynthError, synthAll } from '../../stacks/synth';
import { exitCode } from '../cli/exit-codes';
import { planCheck } from '../plan-report';
import { PLAN_EXIT_CODES, PlanReportError, type ReplacementOverride } from './plan-report';
import {
  PLAN_FILE,
  TerraformRunError,
  captureTerraform,
  checkTerraformVersion,
  runTerraformStep,
  terraformCommands,
} from '../terraform/run';
import { detectCi, errorAnnotation, publishSummary, type CiSystem } from './ci';

/**
 * The deploy of one environment, the same in GitHub Actions and Azure Pipelines (their YAML only
 * sets up tools and identity, fetches the artifacts and calls this): synth, promotion gate on each
 * predecessor's evidence, plan check (the reviewed plan is this commit's, and deletes or replaces no
 * ledger or key vault without a recorded override), preflight, apply exactly that plan, promotion
 * and deployment attestations, smoke test, then the sequence's own evidence and step summary,
 * whatever happened. The first failing step stops the sequence with a native error annotation.
 * The ledger steps run the same entry points an operator runs (`npm run promote`, `attest`, ...).
 */

export const DEPLOY_STEPS = ['synth', 'gate', 'plan-check', 'preflight', 'apply', 'attest', 'smoke', 'evidence'] as const;
export type DeployStep = (typeof DEPLOY_STEPS)[number];

/** Exit codes of `npm run deploy-environment` beyond the failing step's own (3 gate refused, 4 terraform, 6 data loss refused, 10–18 ledger). */
export const DEPLOY_EXIT_CODES = { ok: exitCode('ok'), usage: exitCode('usage'), stepFailed: exitCode('failed') };

export interface DeploySequenceOptions {
  readonly environment: string;
  /** the environments it is promoted from; empty for a root of the promotion graph. */
  readonly promoteFrom: readonly string[];
  /** the reviewed plan artifact: the stack folder the plan job kept (cdk.tf.json, tfplan). */
  readonly planDir: string;
  /** where CI downloaded the predecessors' evidence artifacts, one folder each named evidence-<env>. @default - already in evidenceDir */
  readonly artifactsDir?: string;
  readonly environmentsDir: string;
  readonly cdktfOut: string;
  readonly evidenceDir: string;
  readonly runId: string;
  readonly commit: string;
  readonly terraform: string;
  /** the pipeline run, recorded in the deployment attestation. */
  readonly pipelineRun: string;
  readonly override?: ReplacementOverride;
  readonly summaryFile?: string;
  /** passed through to the ledger steps: a local ledger standing in for this environment's, and for its predecessors'. */
  readonly localData?: string;
  readonly fromLocalData?: string;
  readonly sourceCertificate?: string;
  readonly approver?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly print: (line: string) => void;
}

export interface StepOutcome {
  readonly step: DeployStep;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly exitCode?: number;
  readonly detail?: string;
}

export interface DeploySequenceResult {
  readonly exitCode: number;
  readonly steps: readonly StepOutcome[];
  readonly record: string;
}

/** A step that failed with an exit code and a message for the annotation. */
class StepFailed extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

const TSX_CLI = require.resolve('tsx/cli');
const SCRIPTS_DIR = join(__dirname, '..');

/** Runs one of the project's entry points (scripts/<name>.ts) in its own process, output to the console. */
function runScript(name: string, args: readonly string[]): void {
  const result = spawnSync(process.execPath, [TSX_CLI, join(SCRIPTS_DIR, `${name}.ts`), ...args], { stdio: 'inherit' });
  if (result.status !== 0) {
    throw new StepFailed(
      `npm run ${name} -- ${args.join(' ')} failed (exit ${result.status ?? result.signal}); its output above says why`,
      result.status ?? 1,
    );
  }
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

export function deploySequence(options: DeploySequenceOptions): DeploySequenceResult {
  const ci = detectCi();
  const outcomes: StepOutcome[] = [];
  const stack = stackName(options.environment);
  const ledgerArgs = [
    '--environments-dir',
    options.environmentsDir,
    '--evidence-dir',
    options.evidenceDir,
    '--run-id',
    options.runId,
    '--commit',
    options.commit,
    '--cdktf-out',
    options.cdktfOut,
    ...(options.localData ? ['--local-data', options.localData] : []),
    ...(options.clientCert && options.clientKey ? ['--client-cert', options.clientCert, '--client-key', options.clientKey] : []),
  ];
  const sourceArgs = [
    ...(options.fromLocalData ? ['--from-local-data', options.fromLocalData] : []),
    ...(options.sourceCertificate ? ['--source-certificate', options.sourceCertificate] : []),
  ];
  const tf = { terraform: options.terraform, report: options.print };
  const commands = terraformCommands(options.planDir);
  let planNote: string | undefined;

  const steps: Record<Exclude<DeployStep, 'evidence'>, () => string | undefined> = {
    synth: () => {
      const { stackDirs } = synthAll({ environmentsDir: options.environmentsDir, outdir: options.cdktfOut });
      if (!stackDirs[stack])
        throw new StepFailed(`no environment '${options.environment}' in ${options.environmentsDir}/`, DEPLOY_EXIT_CODES.usage);
      return `${Object.keys(stackDirs).length} stacks`;
    },
    gate: () => {
      if (!options.promoteFrom.length) return 'a root of the promotion graph: no gate';
      for (const from of options.promoteFrom) {
        // CI downloads artifacts one folder each (evidence-<env>); the gate reads <evidence>/<env>. A missing one is left to the gate, which names it.
        const artifact = options.artifactsDir && join(options.artifactsDir, `evidence-${from}`);
        if (artifact && existsSync(artifact)) cpSync(artifact, join(options.evidenceDir, from), { recursive: true });
      }
      // one gate over every predecessor: promote refuses a --from that is not exactly the declared ones.
      const from = options.promoteFrom.join(',');
      runScript('promote', ['--gate-only', '--from', from, '--to', options.environment, ...ledgerArgs, ...sourceArgs]);
      return `passing evidence from ${options.promoteFrom.join(', ')}`;
    },
    'plan-check': () => {
      const planned = join(options.planDir, 'cdk.tf.json');
      if (!existsSync(planned) || !existsSync(join(options.planDir, PLAN_FILE))) {
        throw new StepFailed(
          `no reviewed plan in ${options.planDir} (cdk.tf.json and ${PLAN_FILE} expected): download the plan artifact there`,
          DEPLOY_EXIT_CODES.usage,
        );
      }
      if (sha256(planned) !== sha256(join(options.cdktfOut, 'stacks', stack, 'cdk.tf.json'))) {
        throw new StepFailed(
          `the plan in ${options.planDir} was made from another synth of ${stack} than this commit's: plan again`,
          DEPLOY_EXIT_CODES.stepFailed,
        );
      }
      checkTerraformVersion(options.terraform);
      runTerraformStep(tf, 'init', commands.init);
      const planJson = join(options.planDir, 'plan.json');
      writeFileSync(planJson, captureTerraform(options.terraform, 'show -json', commands.showJson));
      const checked = planCheck({
        planJson,
        environment: options.environment,
        summaryFile: options.summaryFile,
        override: options.override,
        evidenceDir: options.evidenceDir,
        runId: options.runId,
        commit: options.commit,
        print: options.print,
      });
      if (checked.exitCode === PLAN_EXIT_CODES.replacementRefused) {
        throw new StepFailed(
          `the plan deletes or replaces ${checked.refused.join(', ')}: refused, nothing applied`,
          PLAN_EXIT_CODES.replacementRefused,
        );
      }
      planNote = `${checked.report.changes.length} changes, ${checked.report.drift.length} drifted${checked.overrideRecord ? `, override recorded in ${checked.overrideRecord}` : ''}`;
      return planNote;
    },
    preflight: () => {
      runScript('preflight', [
        '--env',
        options.environment,
        '--environments-dir',
        options.environmentsDir,
        ...(options.localData ? ['--local-data', options.localData] : []),
      ]);
      return undefined;
    },
    apply: () => {
      runTerraformStep(tf, 'apply', commands.apply);
      return undefined;
    },
    attest: () => {
      const approver = options.approver ? ['--approver', options.approver] : [];
      if (options.promoteFrom.length) {
        const from = options.promoteFrom.join(',');
        runScript('promote', ['--from', from, '--to', options.environment, ...approver, ...ledgerArgs, ...sourceArgs]);
      }
      runScript('attest', ['--env', options.environment, '--pipeline-run', options.pipelineRun, ...ledgerArgs]);
      return options.promoteFrom.length ? 'promotion and deployment attestations' : 'deployment attestation';
    },
    smoke: () => {
      runScript('smoke', ['--env', options.environment, ...ledgerArgs]);
      return undefined;
    },
  };

  let exitCode: number = DEPLOY_EXIT_CODES.ok;
  for (const step of DEPLOY_STEPS) {
    if (step === 'evidence') break;
    if (exitCode !== DEPLOY_EXIT_CODES.ok) {
      outcomes.push({ step, status: 'skipped' });
      continue;
    }
    options.print(`\n== ${step} (${options.environment}) ==`);
    try {
      outcomes.push({ step, status: 'passed', detail: steps[step]() });
    } catch (error) {
      exitCode = failureCode(error);
      const message = (error as Error).message;
      outcomes.push({ step, status: 'failed', exitCode, detail: message });
      options.print(errorAnnotation(ci, `deploy ${options.environment}: ${step} failed`, message));
    }
  }
  const record = writeEvidence(options, outcomes, exitCode, ci);
  return { exitCode, steps: outcomes, record };
}

function failureCode(error: unknown): number {
  if (error instanceof StepFailed) return error.exitCode;
  // 3 is the promotion gate's here: a missing terraform counts as a failed terraform step (its message says which).
  if (error instanceof TerraformRunError) return exitCode(error.exit === 'terraform-missing' ? 'terraform-failed' : error.exit);
  if (error instanceof EnvironmentConfigError || error instanceof SynthError || error instanceof PlanReportError)
    return DEPLOY_EXIT_CODES.usage;
  return DEPLOY_EXIT_CODES.stepFailed;
}

const ICONS = { passed: '✅', failed: '❌', skipped: '⏭️' } as const;

/** The sequence's own record next to the ledger evidence, and the step summary; written whatever happened. */
function writeEvidence(options: DeploySequenceOptions, outcomes: StepOutcome[], exitCode: number, ci: CiSystem): string {
  const dir = join(options.evidenceDir, options.environment);
  mkdirSync(dir, { recursive: true });
  const record = join(dir, `deploy-sequence-${options.runId}.json`);
  const all: StepOutcome[] = [...outcomes, { step: 'evidence', status: 'passed', detail: record }];
  writeFileSync(
    record,
    `${JSON.stringify(
      {
        schema: 'acl-stack/deploy-sequence/v1',
        environment: options.environment,
        promoteFrom: options.promoteFrom,
        commit: options.commit,
        runId: options.runId,
        pipelineRun: options.pipelineRun,
        exitCode,
        steps: all,
        finishedAt: new Date().toISOString(),
      },
      null,
      2,
    )}\n`,
  );
  const cell = (s?: string) => (s ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
  const summary = [
    `### Deploy ${options.environment}: ${exitCode === 0 ? 'done' : `FAILED at ${outcomes.find((o) => o.status === 'failed')?.step} (exit ${exitCode})`}`,
    '',
    '| Step | Result | Detail |',
    '| --- | --- | --- |',
    ...all.map((o) => `| ${o.step} | ${ICONS[o.status]} ${o.status} | ${cell(o.detail)} |`),
  ].join('\n');
  options.print(summary);
  publishSummary(summary, { file: options.summaryFile, ci, print: options.print });
  return record;
}

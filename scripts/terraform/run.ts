import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stackName } from '../../stacks/ledger-stack';
import { synthAll } from '../../stacks/synth';
import { TERRAFORM_REQUIRED_VERSION, TERRAFORM_VERSION } from '../../stacks/terraform-requirements';
import { CommandFailure } from '../cli/command';

/** The saved plan and its rendering, in the stack's folder, as the pipelines keep them. */
export const PLAN_FILE = 'tfplan';
export const PLAN_TEXT = 'plan.txt';
export const DRIFT_PLAN_FILE = 'tfplan-drift';

/**
 * The terraform command lines, the same the pipelines run (a test compares them): init with the
 * stack's backend, plan to a file, render it, apply exactly that file.
 */
export function terraformCommands(stackDir: string) {
  const chdir = `-chdir=${stackDir}`;
  return {
    init: [chdir, 'init', '-input=false'],
    plan: [chdir, 'plan', '-input=false', '-lock-timeout=5m', `-out=${PLAN_FILE}`],
    show: [chdir, 'show', '-no-color', PLAN_FILE],
    showJson: [chdir, 'show', '-json', PLAN_FILE],
    apply: [chdir, 'apply', '-input=false', '-lock-timeout=5m', PLAN_FILE],
    // drift: read-only, so no state lock a deploy would wait on; kept apart from the reviewed plan.
    drift: [chdir, 'plan', '-input=false', '-lock=false', '-detailed-exitcode', `-out=${DRIFT_PLAN_FILE}`],
    showDrift: [chdir, 'show', '-json', DRIFT_PLAN_FILE],
  } as const;
}

/** A failure the user can act on; its exit says which kind. */
export class TerraformRunError extends CommandFailure {}

export interface TerraformRunOptions {
  readonly environment: string;
  readonly environmentsDir: string;
  readonly cdktfOut: string;
  /** the terraform executable. */
  readonly terraform: string;
  readonly report: (line: string) => void;
}

/**
 * Synthesizes every environment (all or nothing), then drives terraform in one stack's folder:
 * init, plan to a file, show it (also into plan.txt). Returns the stack's folder for
 * {@link applySavedPlan}. Needs no cdktf CLI, so it runs on every Node version the project supports.
 */
export function planStack(options: TerraformRunOptions): string {
  const stack = stackName(options.environment);
  const { stackDirs } = synthAll({ environmentsDir: options.environmentsDir, outdir: options.cdktfOut });
  const stackDir = stackDirs[stack];
  if (!stackDir) {
    throw new TerraformRunError(
      `no environment '${options.environment}' in ${options.environmentsDir}/ (synthesized: ${Object.keys(stackDirs).join(', ')})`,
      'usage',
    );
  }
  options.report(`synthesized ${Object.keys(stackDirs).join(', ')}; running terraform in ${relative(process.cwd(), stackDir) || stackDir}`);
  checkTerraformVersion(options.terraform);
  const commands = terraformCommands(stackDir);
  runTerraformStep(options, 'init', commands.init);
  runTerraformStep(options, 'plan', commands.plan);
  const shown = captureTerraform(options.terraform, 'show', commands.show);
  writeFileSync(join(stackDir, PLAN_TEXT), shown);
  options.report(shown.trimEnd());
  return stackDir;
}

/** Applies exactly the plan {@link planStack} saved and showed, nothing else. */
export function applySavedPlan(options: TerraformRunOptions, stackDir: string): void {
  runTerraformStep(options, 'apply', terraformCommands(stackDir).apply);
}

/** Runs one terraform step with its output on the console; throws {@link TerraformRunError} (exit 4) when it fails. */
export function runTerraformStep(options: Pick<TerraformRunOptions, 'terraform' | 'report'>, step: string, args: readonly string[]): void {
  options.report(`$ terraform ${args.join(' ')}`);
  const result = terraform(options.terraform, args, 'inherit');
  if (result.status !== 0) throw failed(step, result.status);
}

/** `plan -detailed-exitcode` (0 nothing to do, 1 an error, 2 changes): whether the live resources differ from the stack. */
export function planDiffers(options: Pick<TerraformRunOptions, 'terraform' | 'report'>, args: readonly string[]): boolean {
  options.report(`$ terraform ${args.join(' ')}`);
  const result = terraform(options.terraform, args, 'inherit');
  if (result.status === 0 || result.status === 2) return result.status === 2;
  throw failed('plan', result.status);
}

/** Runs one terraform step and returns its standard output (the plan's rendering, its JSON). */
export function captureTerraform(executable: string, step: string, args: readonly string[]): string {
  const result = terraform(executable, args, 'pipe');
  if (result.status !== 0) throw failed(step, result.status);
  return result.stdout;
}

function failed(step: string, status: number | null): TerraformRunError {
  return new TerraformRunError(`terraform ${step} failed (exit ${status ?? 'by signal'}); its output above says why`, 'terraform-failed');
}

function terraform(executable: string, args: readonly string[], stdout: 'pipe' | 'inherit') {
  const result = spawnSync(executable, args, { stdio: ['inherit', stdout, 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    throw new TerraformRunError(
      code === 'ENOENT'
        ? `terraform not found ('${executable}'); install Terraform ${TERRAFORM_VERSION} (the pipelines' version) or pass --terraform <path>`
        : `terraform could not be started: ${result.error.message}`,
      'terraform-missing',
    );
  }
  return result;
}

/** Refuses a terraform outside the stacks' required_version before it touches any state. */
export function checkTerraformVersion(executable: string): void {
  const result = terraform(executable, ['version', '-json'], 'pipe');
  let version: string | undefined;
  try {
    version = (JSON.parse(result.stdout) as { terraform_version?: string }).terraform_version;
  } catch {
    // reported below
  }
  if (result.status !== 0 || !version) {
    throw new TerraformRunError(`'${executable} version -json' did not report a version; is it Terraform?`, 'terraform-missing');
  }
  if (!satisfies(version, TERRAFORM_REQUIRED_VERSION)) {
    throw new TerraformRunError(
      `terraform ${version} does not satisfy the stacks' required_version "${TERRAFORM_REQUIRED_VERSION}"; install Terraform ${TERRAFORM_VERSION} (the pipelines' version)`,
      'terraform-missing',
    );
  }
}

/** Whether a version meets a constraint of `>=`, `>`, `<=`, `<` and `=` clauses, comma-separated. */
export function satisfies(version: string, constraint: string): boolean {
  const parse = (v: string) => v.replace(/-.*$/, '').split('.').map(Number);
  const compare = (a: number[], b: number[]) => a.map((n, i) => n - (b[i] ?? 0)).find((d) => d !== 0) ?? 0;
  return constraint.split(',').every((clause) => {
    const [, op, bound] = /^\s*(>=|<=|>|<|=)?\s*(\S+)\s*$/.exec(clause)!;
    const c = compare(parse(version), parse(bound));
    return { '>=': c >= 0, '<=': c <= 0, '>': c > 0, '<': c < 0, '=': c === 0 }[op ?? '='];
  });
}

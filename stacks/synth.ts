import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App, InvalidPropError } from '../constructs/core';
import type { GuardrailViolation } from '../constructs/governance';
import { loadEnvironments, type Environment } from './environment-config';
import { LedgerStack, describeInvalidProp, describeValidation, describeViolation } from './ledger-stack';

export interface SynthOptions {
  /** folder of environment files. */
  readonly environmentsDir: string;
  /** where `stacks/acl-<env>` and `manifest.json` end up (cdktf's outdir). */
  readonly outdir: string;
}

export interface SynthResult {
  readonly environments: readonly Environment[];
  /** stack name → folder holding its `cdk.tf.json`. */
  readonly stackDirs: Readonly<Record<string, string>>;
}

/** Synth refused: bad config, an invalid construct input, or guardrail violations. */
export class SynthError extends Error {
  constructor(
    message: string,
    readonly violations: readonly GuardrailViolation[] = [],
  ) {
    super(message);
    this.name = 'SynthError';
  }
}

/**
 * Synthesizes every environment, all or nothing. Configs are validated before any construct is
 * built, stacks are synthesized into a staging folder, and only a fully successful synth replaces
 * the previous output: cdktf writes stack by stack, so a failure in prod would otherwise leave dev's
 * fresh output beside prod's stale one.
 */
export function synthAll(options: SynthOptions): SynthResult {
  const environments = loadEnvironments(options.environmentsDir);
  const outdir = resolve(options.outdir);
  mkdirSync(outdir, { recursive: true });
  const staging = mkdtempSync(join(outdir, '.staging-'));
  try {
    const app = new App({ outdir: staging, skipValidation: false });
    const stacks = environments.map((env) => {
      try {
        return new LedgerStack(app, env);
      } catch (error) {
        if (error instanceof InvalidPropError) throw new SynthError(describeInvalidProp(env, error));
        throw error;
      }
    });
    // construct validations ("you never called X") first, in the environment file's terms.
    const invalid = stacks.flatMap((stack, i) =>
      stack.node
        .findAll()
        .flatMap((construct) =>
          construct.node.validate().map((message) => describeValidation(environments[i], construct.node.path, message)),
        ),
    );
    if (invalid.length) throw new SynthError(invalid.join('\n'));
    // check every stack before synthesizing any, so that one report lists all violations; cdktf
    // would stop at the first stack, and under the cdktf CLI would not stop at all.
    const violations = stacks.flatMap((s) => s.guardrails.check());
    if (violations.length) throw new SynthError(describeViolations(stacks, environments), violations);
    try {
      app.synth();
    } catch (error) {
      throw new SynthError((error as Error).message.trim());
    }
    publish(staging, outdir);
    return {
      environments,
      stackDirs: Object.fromEntries(stacks.map((s) => [s.node.id, join(outdir, 'stacks', s.node.id)])),
    };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function describeViolations(stacks: readonly LedgerStack[], environments: readonly Environment[]): string {
  const lines = stacks.flatMap((stack, i) => stack.guardrails.violations.map((v) => describeViolation(environments[i], v)));
  return `guardrails refused ${lines.length} violation${lines.length > 1 ? 's' : ''} (fix them or suppress a rule with a written reason in the environment file):\n${lines.map((l) => `  ${l}`).join('\n')}`;
}

/**
 * Terraform's working files in a stack folder, which a synth keeps: provider plugins and modules
 * (`.terraform/`), the provider lock file, and state written there before local state moved to
 * `state/` (move it with `terraform init -migrate-state`).
 */
const TERRAFORM_WORKING_FILE = /^(\.terraform|\.terraform\.lock\.hcl|.+\.tfstate(\.backup)?)$/;

/**
 * Moves the staged `stacks/` and `manifest.json` over the previous output, then carries each
 * surviving stack's Terraform working files over from the previous output. The previous output is
 * deleted last, so a failure midway leaves the working files in `.previous-<pid>/`, never deletes them.
 */
function publish(staging: string, outdir: string): void {
  const previous = join(outdir, `.previous-${process.pid}`);
  rmSync(previous, { recursive: true, force: true });
  mkdirSync(previous);
  for (const entry of readdirSync(staging)) {
    const target = join(outdir, entry);
    try {
      renameSync(target, join(previous, entry));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    renameSync(join(staging, entry), target);
  }
  const previousStacks = join(previous, 'stacks');
  for (const stack of existsSync(previousStacks) ? readdirSync(previousStacks) : []) {
    const now = join(outdir, 'stacks', stack);
    if (!existsSync(now)) continue;
    for (const file of readdirSync(join(previousStacks, stack)).filter((f) => TERRAFORM_WORKING_FILE.test(f))) {
      renameSync(join(previousStacks, stack, file), join(now, file));
    }
  }
  rmSync(previous, { recursive: true, force: true });
}

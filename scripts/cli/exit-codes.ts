/**
 * Every exit code of every command, in one table: scripts exit only through {@link exitCode}, and
 * the docs' table is generated from {@link EXIT_CODES}. Plain data with no imports, so a docs
 * generator or a pipeline can load it without loading the stacks.
 */

/** The commands (npm scripts) that exit with these codes. */
export const COMMANDS = [
  'start',
  'synth',
  'schema',
  'ledger:local',
  'smoke',
  'plan',
  'deploy',
  'preflight',
  'verify-receipt',
  'audit',
  'bench',
  'promote',
  'attest',
  'environments',
  'plan-report',
  'drift',
  'deploy-environment',
  'docs',
] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface ExitCodeRow {
  readonly code: number;
  readonly name: string;
  readonly meaning: string;
  readonly commands: readonly CommandName[];
}

/** The ledger steps (smoke test and attestations), each its own code so a pipeline can tell them apart. */
const LEDGER_STEP_COMMANDS = ['smoke', 'attest', 'promote', 'start', 'deploy-environment'] as const satisfies readonly CommandName[];
const step = <N extends string>(code: number, name: N) =>
  ({
    code,
    name: `step-${name}`,
    meaning: `ledger step '${name}' failed (its title in scripts/smoke/steps.ts); the output and the evidence package say why`,
    commands: LEDGER_STEP_COMMANDS,
  }) as const;

/**
 * One row per meaning. A code has one meaning per command; two rows share a code only for
 * disjoint commands (a test checks this).
 */
export const EXIT_CODES = [
  { code: 0, name: 'ok', meaning: 'done: the command did what it says, every check passed (or `--help` was shown)', commands: COMMANDS },
  {
    code: 1,
    name: 'failed',
    meaning:
      'a check failed and the output names it: a receipt or archive that does not verify, a missing prerequisite, a local ledger that refuses its data folder, a failed measurement',
    commands: ['verify-receipt', 'audit', 'preflight', 'ledger:local', 'start', 'bench', 'deploy-environment', 'docs'],
  },
  {
    code: 2,
    name: 'usage',
    meaning:
      'bad usage or configuration: an unknown flag (with a suggestion), a missing or malformed argument, an environment file or guardrail that refuses it; the message names the flag, file or JSON path',
    commands: COMMANDS,
  },
  {
    code: 3,
    name: 'promotion-refused',
    meaning: 'the promotion gate refused: no passing evidence from each environment it is promoted from, or not promoted from that one',
    commands: ['promote', 'deploy-environment'],
  },
  { code: 3, name: 'audit-unfinished', meaning: 'the export could not finish; run the same command again to resume', commands: ['audit'] },
  {
    code: 3,
    name: 'terraform-missing',
    meaning: "terraform is missing or outside the stacks' required_version",
    commands: ['plan', 'deploy', 'drift'],
  },
  {
    code: 4,
    name: 'terraform-failed',
    meaning: 'a terraform step failed, or (deploy-environment) terraform is missing or outside the required version; the output says which',
    commands: ['plan', 'deploy', 'drift', 'deploy-environment'],
  },
  {
    code: 5,
    name: 'changes',
    meaning: 'the plan changes something: resources drifted, or changes not yet applied (the summary lists them)',
    commands: ['plan-report', 'drift'],
  },
  {
    code: 6,
    name: 'replacement-refused',
    meaning: 'the plan would delete or replace a ledger or key vault and no recorded override names it; nothing applied',
    commands: ['plan-report', 'drift', 'deploy-environment'],
  },
  step(10, 'resolve'),
  step(11, 'identity'),
  step(12, 'authenticate'),
  step(13, 'append'),
  step(14, 'commit'),
  step(15, 'read-back'),
  step(16, 'receipt'),
  step(17, 'role-separation'),
  step(18, 'evidence'),
  {
    code: 70,
    name: 'unexpected',
    meaning:
      'an unexpected error (a defect, or a condition the command does not know): reported as such with its stack trace, never as a failed check or a user mistake',
    commands: COMMANDS,
  },
] as const satisfies readonly ExitCodeRow[];

export type ExitName = (typeof EXIT_CODES)[number]['name'];

/** The code of a named exit. */
export function exitCode(name: ExitName): number {
  return EXIT_CODES.find((row) => row.name === name)!.code;
}

/** The rows that apply to one command, in code order, for its `--help`. */
export function exitCodesOf(command: CommandName): readonly ExitCodeRow[] {
  return EXIT_CODES.filter((row) => (row.commands as readonly CommandName[]).includes(command));
}

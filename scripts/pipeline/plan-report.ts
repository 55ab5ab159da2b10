import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { exitCode } from '../cli/exit-codes';

/**
 * Reads `terraform show -json <planfile>` (the documented JSON output format,
 * https://developer.hashicorp.com/terraform/internals/json-format) and says what a plan would do:
 * resources changed outside Terraform (`resource_drift`), planned changes (`resource_changes`), and
 * the ones that lose data for good, a ledger or key vault deleted or replaced, which it refuses
 * unless an override names each of them with a reason.
 */

/** Exit codes of `npm run plan-report` (and the plan check of `npm run deploy-environment`). */
export const PLAN_EXIT_CODES = {
  /** the plan changes nothing and nothing drifted. */
  noChanges: exitCode('ok'),
  /** a bad flag, or the plan file is unreadable, malformed or not a plan. */
  usage: exitCode('usage'),
  /** the plan has changes, or resources drifted (as terraform plan -detailed-exitcode's 2). */
  changes: exitCode('changes'),
  /** the plan deletes or replaces a ledger or key vault and no override names it. */
  replacementRefused: exitCode('replacement-refused'),
};

/** Resource types whose deletion loses data no apply can bring back: the ledger's entries, the vault's keys and secrets. */
export const DATA_RESOURCE_TYPES: Readonly<Record<string, string>> = {
  azurerm_confidential_ledger: 'confidential ledger',
  azurerm_key_vault: 'key vault',
};

/** A user mistake in the plan file or the flags, worded for the user. */
export class PlanReportError extends Error {
  override name = 'PlanReportError';
}

const Path = z.array(z.union([z.string(), z.number()]));
const ResourceChange = z.looseObject({
  address: z.string().min(1),
  mode: z.string().optional(),
  type: z.string().min(1),
  previous_address: z.string().optional(),
  deposed: z.string().optional(),
  action_reason: z.string().optional(),
  change: z.looseObject({
    actions: z.array(z.string()).min(1),
    replace_paths: z.array(Path).optional(),
    importing: z.looseObject({}).optional(),
  }),
});
const Plan = z.looseObject({
  format_version: z.string().regex(/^\d+\.\d+$/, 'a "major.minor" version'),
  terraform_version: z.string().optional(),
  resource_changes: z.array(ResourceChange).optional(),
  resource_drift: z.array(ResourceChange).optional(),
});
type ResourceChangeJson = z.infer<typeof ResourceChange>;

/** What happens to one resource, in words: create, update, replace, delete, import, move, forget, read, no-op. */
export type ChangeKind = 'create' | 'update' | 'replace' | 'delete' | 'import' | 'move' | 'forget' | 'read' | 'no-op' | 'other';

export interface ResourceItem {
  readonly address: string;
  readonly type: string;
  readonly kind: ChangeKind;
  readonly actions: readonly string[];
  /** why, from action_reason and replace_paths, in words. */
  readonly why?: string;
  /** the data this resource holds, when it is a ledger or key vault. */
  readonly holds?: string;
}

export interface PlanReport {
  readonly file: string;
  readonly sha256: string;
  readonly terraformVersion?: string;
  /** resources changed outside Terraform since the last apply. */
  readonly drift: readonly ResourceItem[];
  /** planned changes, no-ops and data reads left out. */
  readonly changes: readonly ResourceItem[];
  /** planned changes that delete or replace a ledger or key vault. */
  readonly dataLoss: readonly ResourceItem[];
}

function kindOf(change: ResourceChangeJson): ChangeKind {
  const actions = change.change.actions.join(',');
  if (actions === 'delete,create' || actions === 'create,delete') return 'replace';
  if (['create', 'update', 'delete', 'forget', 'read'].includes(actions)) return actions as ChangeKind;
  if (actions === 'no-op') {
    if (change.change.importing) return 'import';
    if (change.previous_address && change.previous_address !== change.address) return 'move';
    return 'no-op';
  }
  // the format may add actions (it documents that callers should scan for "delete").
  return 'other';
}

const REASONS: Readonly<Record<string, string>> = {
  replace_because_tainted: 'it is tainted',
  replace_because_cannot_update: 'the provider cannot update it in place',
  replace_by_request: 'replacement was requested (-replace)',
  delete_because_no_resource_config: 'it is no longer in the stack',
  delete_because_no_module: 'its module is no longer in the stack',
  delete_because_wrong_repetition: 'its instance key does not fit count/for_each',
  delete_because_count_index: 'its index is beyond count',
  delete_because_each_key: 'its key is no longer in for_each',
};

function why(change: ResourceChangeJson, kind: ChangeKind): string | undefined {
  const parts: string[] = [];
  if (change.action_reason) parts.push(REASONS[change.action_reason] ?? change.action_reason);
  const paths = change.change.replace_paths?.map((p) => p.join('.'));
  if (paths?.length) parts.push(`forced by ${paths.map((p) => `\`${p}\``).join(', ')}`);
  if (kind === 'move') parts.push(`moved from \`${change.previous_address}\``);
  if (kind === 'other') parts.push(`actions ${change.change.actions.join(', ')}`);
  if (change.deposed) parts.push(`deposed object ${change.deposed}`);
  return parts.length ? parts.join('; ') : undefined;
}

function item(change: ResourceChangeJson): ResourceItem {
  const kind = kindOf(change);
  const holds = change.mode !== 'data' ? DATA_RESOURCE_TYPES[change.type] : undefined;
  return { address: change.address, type: change.type, kind, actions: change.change.actions, why: why(change, kind), holds };
}

/** Reads and checks a plan's JSON; throws {@link PlanReportError} naming the file and the JSON path. */
export function readPlanReport(file: string): PlanReport {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new PlanReportError(`cannot read the plan JSON ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const make = `make it with: terraform show -json tfplan > ${file}`;
  if (bytes.subarray(0, 2).toString('latin1') === 'PK') throw new PlanReportError(`${file} is a binary plan file, not its JSON; ${make}`);
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new PlanReportError(`${file} is not JSON (${(error as Error).message}); ${make}`);
  }
  if (raw && typeof raw === 'object' && 'values' in raw && !('planned_values' in raw) && !('resource_changes' in raw)) {
    throw new PlanReportError(`${file} is Terraform state, not a plan; ${make}`);
  }
  const parsed = Plan.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((issue) => `  ${jsonPath(issue.path)}: ${issue.message}`);
    throw new PlanReportError(`${file} is not a terraform plan in the JSON output format:\n${issues.join('\n')}\n${make}`);
  }
  const plan = parsed.data;
  const major = plan.format_version.split('.')[0];
  // the format promises: reject an unsupported major version, ignore unknown properties.
  if (major !== '1') throw new PlanReportError(`${file} has format_version ${plan.format_version}; this reader knows major version 1 only`);
  const changes = (plan.resource_changes ?? []).map(item).filter((i) => i.kind !== 'no-op' && i.kind !== 'read');
  return {
    file,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    terraformVersion: plan.terraform_version,
    drift: (plan.resource_drift ?? []).map(item),
    changes,
    dataLoss: changes.filter((i) => i.holds && i.actions.includes('delete')),
  };
}

function jsonPath(path: readonly PropertyKey[]): string {
  return (
    path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '') ||
    '(top level)'
  );
}

/** An explicit permission to delete or replace named data resources, with the reason recorded. */
export interface ReplacementOverride {
  readonly addresses: readonly string[];
  readonly reason: string;
}

export interface GuardOutcome {
  /** data-losing changes no override names. */
  readonly refused: readonly ResourceItem[];
  /** data-losing changes an override allows. */
  readonly allowed: readonly ResourceItem[];
}

/** Checks an override against the plan: it must name only data-losing changes the plan has, with a reason. */
export function guardReplacements(report: PlanReport, override?: ReplacementOverride): GuardOutcome {
  if (override) {
    if (!override.reason.trim()) throw new PlanReportError('--override-reason is required with --allow-replace, and must say why');
    const losing = new Set(report.dataLoss.map((i) => i.address));
    const stray = override.addresses.filter((a) => !losing.has(a));
    if (stray.length) {
      throw new PlanReportError(
        `--allow-replace names ${stray.map((a) => `'${a}'`).join(', ')}, which this plan does not delete or replace` +
          (losing.size ? ` (it does: ${[...losing].join(', ')})` : ' (it deletes or replaces no ledger or key vault)'),
      );
    }
  }
  const allowedSet = new Set(override?.addresses ?? []);
  return {
    refused: report.dataLoss.filter((i) => !allowedSet.has(i.address)),
    allowed: report.dataLoss.filter((i) => allowedSet.has(i.address)),
  };
}

/** The exit code a plan report and its guard outcome call for. */
export function planExitCode(report: PlanReport, outcome: GuardOutcome): number {
  if (outcome.refused.length) return PLAN_EXIT_CODES.replacementRefused;
  return report.changes.length || report.drift.length ? PLAN_EXIT_CODES.changes : PLAN_EXIT_CODES.noChanges;
}

export interface OverrideRecord {
  readonly schema: 'acl-stack/replacement-override/v1';
  readonly environment: string;
  readonly addresses: readonly string[];
  readonly reason: string;
  readonly planSha256: string;
  readonly commit: string;
  readonly runId: string;
  /** who ran it, as the CI system names them. */
  readonly actor: string;
  readonly recordedAt: string;
}

/** Writes the override's audit record under `<evidenceDir>/<env>/` (kept with the run's evidence) and returns its path. */
export function recordOverride(evidenceDir: string, record: OverrideRecord): string {
  const dir = join(evidenceDir, record.environment);
  mkdirSync(dir, { recursive: true });
  // one file per override, never overwritten: a retried run adds a record, it does not replace one.
  const path = join(dir, `replacement-override-${record.runId}-${Date.parse(record.recordedAt)}.json`);
  writeFileSync(path, `${JSON.stringify(record, null, 2)}\n`, { flag: 'wx' });
  return path;
}

/** Who triggered the run, as GitHub Actions or Azure Pipelines says; else the local user. */
export function actor(env: NodeJS.ProcessEnv = process.env): string {
  return env.GITHUB_ACTOR ?? env.BUILD_REQUESTEDFOREMAIL ?? env.BUILD_REQUESTEDFOR ?? env.USER ?? env.USERNAME ?? 'unknown';
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
const KIND_WORDS: Record<ChangeKind, string> = {
  create: 'create',
  update: 'update in place',
  replace: 'REPLACE (delete and create)',
  delete: 'DELETE',
  import: 'import',
  move: 'move',
  forget: 'forget (leave it, drop it from state)',
  read: 'read',
  'no-op': 'no change',
  other: 'other',
};
const DRIFT_WORDS: Partial<Record<ChangeKind, string>> = { update: 'changed outside Terraform', delete: 'deleted outside Terraform' };

function table(header: string, rows: readonly ResourceItem[], words: (i: ResourceItem) => string): string[] {
  return [
    `| ${header} | Resource | Why |`,
    '| --- | --- | --- |',
    ...rows.map((i) => `| ${cell(words(i))}${i.holds ? ' ⚠️' : ''} | ${cell(code(i.address))} | ${cell(i.why ?? '')} |`),
  ];
}

/** The Markdown summary: headline counts, data loss first, then drift, then the planned changes. */
export function planSummary(
  report: PlanReport,
  outcome: GuardOutcome,
  context: { environment?: string; override?: ReplacementOverride; overrideRecord?: string },
): string {
  const counts = (['create', 'update', 'replace', 'delete', 'import', 'move', 'forget', 'other'] as const)
    .map((k) => [k, report.changes.filter((i) => i.kind === k).length] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} to ${k}`);
  const headline = [counts.length ? counts.join(', ') : 'no changes', report.drift.length ? `${report.drift.length} drifted` : 'no drift'];
  const lines = [`### Plan${context.environment ? ` for ${code(context.environment)}` : ''}: ${headline.join(' · ')}`, ''];
  const dataLossLine = (i: ResourceItem) => `- ${code(i.address)} (${i.holds}): ${KIND_WORDS[i.kind]}${i.why ? `, because ${i.why}` : ''}`;
  if (outcome.refused.length) {
    lines.push(
      `**DATA LOSS, REFUSED**: this plan would destroy ${outcome.refused.length === 1 ? 'a resource' : 'resources'} whose data no apply can bring back:`,
      '',
      ...outcome.refused.map(dataLossLine),
      '',
      'Nothing was applied. If this is intended, run again with `--allow-replace <address>` for each and `--override-reason "<why>"`; the override is recorded with the evidence.',
      '',
    );
  }
  if (outcome.allowed.length) {
    lines.push(
      `**DATA LOSS, ALLOWED BY OVERRIDE** (reason: "${cell(context.override?.reason ?? '')}"${context.overrideRecord ? `, recorded in ${code(context.overrideRecord)}` : ''}):`,
      '',
      ...outcome.allowed.map(dataLossLine),
      '',
    );
  }
  if (report.drift.length) {
    lines.push(
      '#### Changed outside Terraform (drift)',
      '',
      ...table('Drift', report.drift, (i) => DRIFT_WORDS[i.kind] ?? KIND_WORDS[i.kind]),
      '',
    );
  }
  if (report.changes.length) lines.push('#### Planned changes', '', ...table('Action', report.changes, (i) => KIND_WORDS[i.kind]), '');
  lines.push(
    `<sub>from ${code(report.file)} (sha256 ${report.sha256.slice(0, 12)}…${report.terraformVersion ? `, terraform ${report.terraformVersion}` : ''})</sub>`,
  );
  return lines.join('\n');
}

import { readdirSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { GUARDRAIL_RULE_IDS, LOCK_LEVELS, MIN_SUPPRESSION_REASON_LENGTH, TIERS } from '../constructs/governance';
import { DATA_CLASSIFICATIONS } from '../constructs/governance/tags';
import { KEY_VAULT_SKUS, SOFT_DELETE_RETENTION_DAYS } from '../constructs/key-vault';
import {
  ACL_REGIONS,
  GEOGRAPHIES,
  LEDGER_ROLES,
  LEDGER_TYPES,
  PRINCIPAL_TYPES,
  REGION_DISPLAY_NAMES,
  normalizeRegion,
  type LedgerPrincipal,
} from '../constructs/ledger';
import { LOG_RETENTION_DAYS } from '../constructs/monitoring';
import { alertsSchema } from './alerts-config';
import { parseJson, readCertificate, readTextFile } from './config-text';
import { graphProblems } from './promotion-graph';

/*
 * The schema of one environment file, `environments/<name>.json`. Every closed set comes from the
 * construct module that owns it, so the schema, the types and the error messages never drift.
 */

const ENVIRONMENT_NAME = /^[a-z][a-z0-9-]{0,19}$/;

const GUID_EXAMPLE = '00000000-0000-0000-0000-000000000000';
const guid = z.guid({ error: `must be a GUID like ${GUID_EXAMPLE}` });

/** An ARM resource id of one type, e.g. `Microsoft.Network/virtualNetworks/subnets`. */
function resourceId(type: string) {
  const segments = type.split('/');
  const [namespace, ...types] = segments;
  const pattern = new RegExp(
    `^/subscriptions/[0-9a-f-]{36}/resourceGroups/[-\\w.()]+/providers/${namespace.replace('.', '\\.')}` +
      types.map((t) => `/${t}/[^/]+`).join('') +
      '$',
    'i',
  );
  const example = `/subscriptions/${GUID_EXAMPLE}/resourceGroups/<group>/providers/${namespace}${types.map((t) => `/${t}/<name>`).join('')}`;
  return z.string().regex(pattern, { error: `must be a ${type} resource id like ${example}` });
}

const nonEmpty = z.string().trim().min(1, { error: 'must not be empty' });
const resourceGroupName = z
  .string()
  .regex(/^[-\w.()]{1,89}[-\w()]$/, { error: 'must be 1–90 letters, digits, -_.() and not end with a period' });

const privateDnsZone = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('create'),
    virtualNetworkIds: z.array(resourceId('Microsoft.Network/virtualNetworks')).min(1, { error: 'must list at least one virtual network' }),
  }),
  z.strictObject({ mode: z.literal('existing'), zoneId: resourceId('Microsoft.Network/privateDnsZones') }),
  /** the landing zone's Azure Policy adds the zone group (ALZ deployIfNotExists). */
  z.strictObject({ mode: z.literal('policy') }),
]);

const privateEndpoint = z.strictObject({
  subnetId: resourceId('Microsoft.Network/virtualNetworks/subnets'),
  privateDnsZone,
});

const entraPrincipal = z.strictObject({
  kind: z.literal('entra'),
  objectId: guid,
  tenantId: guid,
  role: z.enum(LEDGER_ROLES),
  /** free text for reviewers: who this principal is. */
  description: z.string().optional(),
});

const certificatePrincipal = z.strictObject({
  kind: z.literal('certificate'),
  /** path of a PEM certificate, relative to the environment file. */
  certificateFile: nonEmpty,
  role: z.enum(LEDGER_ROLES),
  description: z.string().optional(),
});

const roleAssignment = z.strictObject({
  principalId: guid,
  roleDefinitionIdOrName: nonEmpty,
  principalType: z.enum(PRINCIPAL_TYPES).optional(),
  description: z.string().optional(),
});

const stableKey = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,39}$/, { error: 'must be 1–40 lower-case letters, digits and hyphens, starting with a letter' });

export const environmentSchema = z.strictObject({
  /** editors' JSON-schema hint; ignored. */
  $schema: z.string().optional(),
  tier: z.enum(TIERS).describe('the guardrail class: prod is strict (every guardrail passes, no suppressions); never the promotion order'),
  promotesFrom: z
    .array(z.string().regex(ENVIRONMENT_NAME, { error: 'must be an environment name (the file name without .json)' }))
    .default([])
    .describe('the environments this one is promoted from (its predecessors in the promotion graph); empty for a first environment'),
  subscriptionId: guid,
  tenantId: guid,
  // ARM names (`westeurope`) or the portal's display names (`West Europe`), stored as ARM names.
  location: z
    .string()
    .transform(normalizeRegion)
    .pipe(z.enum(ACL_REGIONS))
    .describe(`an Azure region that offers confidential ledger: ${ACL_REGIONS.map((r) => `${r} (${REGION_DISPLAY_NAMES[r]})`).join(', ')}`),
  resourceGroup: z.strictObject({
    name: resourceGroupName,
    /** true: this stack creates the group; false: the landing zone already did. */
    create: z.boolean(),
  }),
  tags: z.strictObject({
    owner: nonEmpty,
    costCenter: nonEmpty,
    dataClassification: z.enum(DATA_CLASSIFICATIONS),
    extra: z.record(z.string(), z.string()).optional(),
  }),
  ledger: z.strictObject({
    name: z.string(),
    type: z.enum(LEDGER_TYPES),
    allowedGeographies: z.array(z.enum(GEOGRAPHIES)).min(1).optional(),
    lock: z.enum(LOCK_LEVELS).optional(),
    preventDestroy: z.boolean().default(false),
    principals: z
      .array(z.discriminatedUnion('kind', [entraPrincipal, certificatePrincipal]))
      .min(1, { error: 'must list at least one principal' }),
    roleAssignments: z.record(stableKey, roleAssignment).default({}),
    /** accepted so that the request gets a precise refusal: ACL has no private link. */
    privateEndpoint: privateEndpoint.optional(),
  }),
  keyVault: z.strictObject({
    name: z.string(),
    skuName: z.enum(KEY_VAULT_SKUS).default('standard'),
    softDeleteRetentionDays: z.int().min(SOFT_DELETE_RETENTION_DAYS.min).max(SOFT_DELETE_RETENTION_DAYS.max).default(90),
    publicNetworkAccessEnabled: z.boolean().default(false),
    allowedIpRanges: z.array(z.cidrv4({ error: 'must be an IPv4 CIDR range like 203.0.113.0/24' })).default([]),
    lock: z.enum(LOCK_LEVELS).optional(),
    privateEndpoint: privateEndpoint.optional(),
    /** `policy`: the landing zone's Azure Policy deploys the vault's diagnostic settings. */
    diagnostics: z.enum(['create', 'policy']).default('create'),
  }),
  logAnalytics: z.discriminatedUnion('mode', [
    z.strictObject({
      mode: z.literal('create'),
      name: z.string(),
      retentionInDays: z.int().min(LOG_RETENTION_DAYS.min).max(LOG_RETENTION_DAYS.max),
    }),
    z.strictObject({ mode: z.literal('existing'), workspaceId: resourceId('Microsoft.OperationalInsights/workspaces') }),
  ]),
  alerts: alertsSchema,
  /** remote state; without it, state stays in a local file next to the stack. */
  // backend settings are never templates in Terraform, so escaping cannot apply: only plain names pass.
  backend: z
    .strictObject({
      /** the subscription of the state storage account; commonly a platform subscription, not the workload's. */
      subscriptionId: guid,
      resourceGroupName,
      storageAccountName: z.string().regex(/^[a-z0-9]{3,24}$/, { error: 'must be 3–24 lower-case letters and digits' }),
      containerName: z
        .string()
        .regex(/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/, { error: 'must be 3–63 lower-case letters, digits and single hyphens' }),
      key: z.string().regex(/^[\w./-]{1,1024}$/, { error: 'must be 1–1024 letters, digits and ._-/ (a blob name)' }),
    })
    .optional(),
  guardrails: z
    .strictObject({
      suppressions: z
        .array(
          z.strictObject({
            ruleId: z.enum(GUARDRAIL_RULE_IDS as [string, ...string[]]),
            reason: z
              .string()
              .trim()
              .min(MIN_SUPPRESSION_REASON_LENGTH, {
                error: `must explain the suppression in at least ${MIN_SUPPRESSION_REASON_LENGTH} characters`,
              }),
          }),
        )
        .default([]),
    })
    .default({ suppressions: [] }),
});

type RawEnvironment = z.output<typeof environmentSchema>;

/** The schema as JSON Schema (draft 2020-12), as editors read it. */
export function environmentJsonSchema(): string {
  return JSON.stringify(z.toJSONSchema(environmentSchema, { io: 'input' }), null, 2) + '\n';
}

/** One validated environment, with certificate files already read. */
export interface Environment extends Omit<RawEnvironment, 'ledger'> {
  /** the file name without extension: `dev` for `environments/dev.json`. */
  readonly name: string;
  /** the file it came from, relative to the working directory. */
  readonly file: string;
  readonly ledger: Omit<RawEnvironment['ledger'], 'principals'> & { readonly principals: readonly LedgerPrincipal[] };
}

/** Every problem found in the environment files, one line each. */
export class EnvironmentConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'EnvironmentConfigError';
  }
}

/**
 * Loads and validates every `*.json` file in `dir`. Reports the problems of all files at once and
 * returns nothing unless every file is valid, so no stack is built from a half-valid set.
 */
export function loadEnvironments(dir: string): Environment[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => extname(f) === '.json')
      .sort();
  } catch (error) {
    throw new EnvironmentConfigError([`${dir}: cannot read the environments folder (${(error as Error).message})`]);
  }
  if (files.length === 0) throw new EnvironmentConfigError([`${dir}: no environment files (*.json)`]);
  const problems: string[] = [];
  const environments: Environment[] = [];
  for (const file of files) {
    const result = loadEnvironment(join(dir, file));
    if (Array.isArray(result)) problems.push(...result);
    else environments.push(result);
  }
  problems.push(...crossFileProblems(environments));
  problems.push(
    ...graphProblems(
      environments,
      files.map((f) => basename(f, '.json')),
    ),
  );
  if (problems.length) throw new EnvironmentConfigError(problems);
  return environments;
}

/** Azure's default quota of confidential ledgers per subscription (acl-iac.md, "Two ledgers per subscription by default"). */
export const LEDGERS_PER_SUBSCRIPTION = 2;

/**
 * What no single file shows: a copied file that reuses another's globally unique names or state, and
 * more ledgers in one subscription than Azure's quota allows.
 */
function crossFileProblems(environments: readonly Environment[]): string[] {
  /** Files sharing a value, for every value more than `limit` files share. */
  const sharing = (key: (env: Environment) => string | undefined, limit = 1): [string, string][] => {
    const byValue = new Map<string, string[]>();
    for (const env of environments) {
      const value = key(env);
      if (value !== undefined) byValue.set(value, [...(byValue.get(value) ?? []), env.file]);
    }
    return [...byValue].filter(([, files]) => files.length > limit).map(([value, files]) => [value, files.join(', ')]);
  };
  const names = new Set(environments.map((env) => env.name));
  return [
    // pipelines name an environment's read-only identity `<name>-plan` (docs/environments.md):
    // an environment called that would share it, its deploy identity being the other's plan identity.
    ...environments
      .filter((env) => env.name.endsWith('-plan') && names.has(env.name.slice(0, -'-plan'.length)))
      .map(
        (env) =>
          `${env.file}: the name '${env.name}' is the plan identity of environment '${env.name.slice(0, -'-plan'.length)}' (GitHub environment ${env.name}, Azure DevOps service connection acl-${env.name}); choose another name`,
      ),
    ...sharing((env) => env.ledger.name).map(
      ([name, files]) =>
        `${files}: ledger.name "${name}" is the same in each; a ledger name is its global DNS name (https://${name}.confidential-ledger.azure.com), give each environment its own`,
    ),
    ...sharing((env) => env.keyVault.name.toLowerCase()).map(
      ([name, files]) =>
        `${files}: keyVault.name "${name}" is the same in each; vault names are globally unique, give each environment its own`,
    ),
    ...sharing((env) => env.backend && `${env.backend.storageAccountName}/${env.backend.containerName}/${env.backend.key}`).map(
      ([blob, files]) =>
        `${files}: backend "${blob}" is the same state blob in each; the stacks would overwrite each other's state, give each its own backend.key`,
    ),
    ...sharing((env) => env.subscriptionId.toLowerCase(), LEDGERS_PER_SUBSCRIPTION).map(
      ([subscription, files]) =>
        `${files}: subscriptionId "${subscription}" would hold a ledger for each, more than Azure's default quota of ${LEDGERS_PER_SUBSCRIPTION} confidential ledgers per subscription; use a subscription per environment or have the quota raised first`,
    ),
  ];
}

/** Loads and validates one environment file. */
export function loadEnvironmentFile(path: string): Environment {
  const result = loadEnvironment(path);
  if (Array.isArray(result)) throw new EnvironmentConfigError(result);
  return result;
}

function loadEnvironment(path: string): Environment | string[] {
  const file = relative(process.cwd(), resolve(path)) || path;
  const name = basename(path, '.json');
  if (!ENVIRONMENT_NAME.test(name)) {
    return [
      `${file}: file name '${name}' must be 1–20 lower-case letters, digits and hyphens, starting with a letter (it becomes the stack name acl-${name})`,
    ];
  }
  const read = readTextFile(path);
  if ('problem' in read) return [`${file}: ${read.problem}`];
  const json = parseJson(read.text);
  if ('problem' in json) return [`${file}: ${json.problem}`];
  const parsed = environmentSchema.safeParse(json.data, { reportInput: true });
  if (!parsed.success) return parsed.error.issues.map((issue) => `${file}: ${printable(describeIssue(issue))}`);

  const problems: string[] = [];
  const principals = parsed.data.ledger.principals.map((p, i): LedgerPrincipal => {
    if (p.kind === 'entra') return { kind: 'entra', objectId: p.objectId, tenantId: p.tenantId, role: p.role };
    const certificate = readCertificate(resolve(dirname(path), p.certificateFile));
    if ('problem' in certificate) {
      problems.push(
        `${file}: ledger.principals[${i}].certificateFile "${p.certificateFile}" ${certificate.problem}; expected a PEM certificate path relative to the environment file`,
      );
      return { kind: 'certificate', certificatePem: '', role: p.role };
    }
    return { kind: 'certificate', certificatePem: certificate.text, role: p.role };
  });
  if (problems.length) return problems;
  return { ...parsed.data, name, file, ledger: { ...parsed.data.ledger, principals } };
}

/** Control characters escaped (a key from the file may hold a terminal escape sequence); values come JSON-quoted already. */
const printable = (line: string) => line.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** One line: the field path, the value found, and what is expected. */
function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.length
    ? issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('')
    : '(top level)';
  const value = 'input' in issue && issue.input !== undefined ? ` ${truncate(JSON.stringify(issue.input))}` : '';
  switch (issue.code) {
    case 'unrecognized_keys':
      return `${path === '(top level)' ? '' : `${path}: `}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}; remove ${issue.keys.length > 1 ? 'them' : 'it'} or check the spelling`;
    case 'invalid_type':
      return issue.input === undefined
        ? `${path} is missing; expected ${issue.expected}`
        : `${path}${value} has the wrong type; expected ${issue.expected}`;
    case 'invalid_value':
      return `${path}${value} is not allowed; expected one of: ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_union':
      return `${path}${value} matches no allowed form; check its 'mode' or 'kind' field`;
    default:
      return `${path}${value} ${issue.message}`;
  }
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

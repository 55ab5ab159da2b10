/*
 * Markdown tables built from the data the code holds. Each takes its data as an argument, so a
 * test can feed it a changed schema or rule pack and the registry (generate.ts) binds the real one.
 */

/** A GitHub-flavoured Markdown table; prettier aligns the columns when the document is written. */
export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cell = (text: string) => text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const line = (cells: readonly string[]) => `| ${cells.map(cell).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Inline code that survives any backticks inside the value. */
export const code = (text: string): string => {
  const fence = '`'.repeat(Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  return fence.length > 1 ? `${fence} ${text} ${fence}` : `\`${text}\``;
};

/** The parts of JSON Schema (draft 2020-12) that zod's `toJSONSchema` writes for environment files. */
export interface JsonSchema {
  readonly type?: string;
  readonly description?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly propertyNames?: JsonSchema;
  readonly items?: JsonSchema;
  readonly oneOf?: readonly JsonSchema[];
  readonly anyOf?: readonly JsonSchema[];
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly default?: unknown;
  readonly format?: string;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
}

interface FieldRow {
  readonly path: string;
  readonly type: string;
  /** the variants of enclosing unions the field belongs to, e.g. `mode "create"`; empty: always. */
  readonly when: readonly string[];
  readonly required: boolean;
  readonly defaultValue?: unknown;
  readonly description?: string;
}

const FORMATS: Record<string, string> = { uuid: 'GUID', cidrv4: 'IPv4 CIDR range', email: 'e-mail address', uri: 'URL' };

const range = (min?: number, max?: number, unit = ''): string =>
  min !== undefined && max !== undefined
    ? ` ${min}–${max}${unit}`
    : min !== undefined
      ? ` ≥ ${min}${unit}`
      : max !== undefined
        ? ` ≤ ${max}${unit}`
        : '';

/** One schema's type in a few words: its closed set, format, bounds or pattern. */
function typeOf(schema: JsonSchema): string {
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants) return `one of: ${variants.map(variantLabel).join(', ')}`;
  switch (schema.type) {
    case 'string':
      if (schema.format) return FORMATS[schema.format] ?? `string (${schema.format})`;
      if (schema.pattern) return `string matching ${code(schema.pattern)}`;
      return `string${range(schema.minLength, schema.maxLength, ' characters')}`;
    case 'integer':
    case 'number':
      return `${schema.type}${range(schema.minimum, schema.maximum)}`;
    case 'array':
      return `list${range(schema.minItems, schema.maxItems, ' items')} of ${schema.items ? typeOf(schema.items) : 'anything'}`;
    case 'object':
      if (schema.properties) return 'object';
      if (typeof schema.additionalProperties === 'object') {
        const key = schema.propertyNames?.pattern ? ` (keys matching ${code(schema.propertyNames.pattern)})` : '';
        return `map${key} of ${typeOf(schema.additionalProperties)}`;
      }
      return 'object';
    default:
      return schema.type ?? 'any';
  }
}

/** The property whose `const` tells a union's variants apart (`mode`, `kind`). */
function discriminator(variants: readonly JsonSchema[]): string | undefined {
  const first = variants[0]?.properties ?? {};
  return Object.keys(first).find((key) => variants.every((v) => v.properties?.[key]?.const !== undefined));
}

function variantLabel(variant: JsonSchema, _index: number, variants: readonly JsonSchema[]): string {
  const key = discriminator(variants);
  return key ? `${key} ${JSON.stringify(variant.properties![key].const)}` : typeOf(variant);
}

/** Whether a schema has fields of its own to list under its path. */
const nested = (schema: JsonSchema): JsonSchema | undefined =>
  schema.properties || schema.oneOf || schema.anyOf
    ? schema
    : schema.type === 'array' && schema.items && nested(schema.items)
      ? schema.items
      : typeof schema.additionalProperties === 'object' && nested(schema.additionalProperties)
        ? schema.additionalProperties
        : undefined;

function childPath(path: string, schema: JsonSchema): string {
  if (schema.type === 'array') return `${path}[]`;
  if (schema.type === 'object' && !schema.properties && typeof schema.additionalProperties === 'object') return `${path}.<key>`;
  return path;
}

function collectFields(schema: JsonSchema, path: string, when: readonly string[], rows: FieldRow[]): void {
  const variants = schema.oneOf ?? schema.anyOf;
  if (variants) {
    collectVariants(variants, path, when, rows);
    return;
  }
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const fieldPath = path ? `${path}.${name}` : name;
    rows.push({
      path: fieldPath,
      type: typeOf(child),
      when,
      required: (schema.required ?? []).includes(name),
      defaultValue: child.default,
      description: child.description,
    });
    const inner = nested(child);
    if (inner) collectFields(inner, childPath(fieldPath, child), when, rows);
  }
}

/**
 * A union's fields: its discriminator once with every value, a field every variant has alike once,
 * and any other field once per variant, naming the variant (`mode "create"`).
 */
function collectVariants(variants: readonly JsonSchema[], path: string, when: readonly string[], rows: FieldRow[]): void {
  const key = discriminator(variants);
  if (key)
    rows.push({
      path: `${path}.${key}`,
      type: variants.map((v) => JSON.stringify(v.properties![key].const)).join(' | '),
      when,
      required: true,
    });
  const perVariant = variants.map((variant, i) => {
    const own: FieldRow[] = [];
    const properties = Object.fromEntries(Object.entries(variant.properties ?? {}).filter(([name]) => name !== key));
    collectFields({ ...variant, type: 'object', properties }, path, [], own);
    return { label: variantLabel(variant, i, variants), rows: own };
  });
  const identity = (row: FieldRow) => JSON.stringify(row);
  const count = new Map<string, number>();
  for (const { rows: own } of perVariant) for (const row of own) count.set(identity(row), (count.get(identity(row)) ?? 0) + 1);
  const listed = new Set<string>();
  for (const { label, rows: own } of perVariant) {
    for (const row of own) {
      const shared = count.get(identity(row)) === variants.length;
      if (shared && listed.has(identity(row))) continue;
      listed.add(identity(row));
      rows.push({ ...row, when: [...when, ...(shared ? [] : [label]), ...row.when] });
    }
  }
}

/** Every field of an environment file: its path, type, whether it is required, and what it means. */
export function configFieldsTable(schema: JsonSchema): string {
  const rows: FieldRow[] = [];
  collectFields(schema, '', [], rows);
  return markdownTable(
    ['field', 'type', 'required', 'default', 'description'],
    rows.map((row) => [
      code(row.path),
      row.type,
      (row.required ? 'yes' : 'no') + (row.when.length ? ` (${row.when.join('; ')})` : ''),
      row.defaultValue === undefined ? '' : code(JSON.stringify(row.defaultValue)),
      row.description ?? '',
    ]),
  );
}

/** What the guardrail table needs of a rule (constructs/governance/rules/rule.ts). */
export interface RuleFacts {
  readonly id: string;
  readonly info: string;
  readonly explanation: string;
  readonly scannerEquivalent?: string;
}

/**
 * The rule pack, one row per rule. Which environment suppresses a rule stays in its file, not in the
 * docs: the shipped environments are examples, and adding one must not make the docs stale.
 */
export function guardrailRulesTable(rules: readonly RuleFacts[]): string {
  return markdownTable(
    ['rule', 'what must be true', 'why', 'scanner equivalent'],
    rules.map((r) => [r.id, r.info, r.explanation, r.scannerEquivalent ?? '']),
  );
}

/** How to suppress a rule, with the minimum reason length the pack enforces. */
export function suppressionExample(ruleId: string, minReasonLength: number): string {
  const reason = `why this rule does not apply here (at least ${minReasonLength} characters)`;
  return ['```json', JSON.stringify({ guardrails: { suppressions: [{ ruleId, reason }] } }, null, 2), '```'].join('\n');
}

/** The smoke test's steps in order with the exit code each fails with. */
export function smokeStepsTable(steps: Readonly<Record<string, { readonly exitCode: number; readonly title: string }>>): string {
  return markdownTable(
    ['exit code', 'step', 'what it does'],
    Object.entries(steps).map(([name, step]) => [String(step.exitCode), name, step.title]),
  );
}

export function exitCodesTable(
  rows: readonly { readonly code: number; readonly name: string; readonly meaning: string; readonly commands: readonly string[] }[],
): string {
  return markdownTable(
    ['code', 'name', 'meaning', 'commands'],
    rows.map((row) => [String(row.code), code(row.name), row.meaning, row.commands.map(code).join(', ')]),
  );
}

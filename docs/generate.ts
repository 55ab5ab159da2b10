/**
 * `npm run docs`: rewrites the generated regions of README.md and docs/*.md from the data the code
 * holds (the environment schema, the guardrail rule pack, the smoke steps). A test fails while a
 * region is stale. Another table is one more entry in GENERATORS.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { MIN_SUPPRESSION_REASON_LENGTH } from '../constructs/governance';
import { GUARDRAIL_RULES } from '../constructs/governance/rules';
import { RECEIPT_CHECKS } from '../receipts/verify';
import { SMOKE_STEPS } from '../scripts/smoke/steps';
import { createCli, runCli } from '../scripts/cli/command';
import { EXIT_CODES, exitCode } from '../scripts/cli/exit-codes';
import { DOCS_COMMAND, RegionError, renderDocument, type Generators } from './regions';
import {
  code,
  configFieldsTable,
  guardrailRulesTable,
  smokeStepsTable,
  suppressionExample,
  exitCodesTable,
  type JsonSchema,
} from './tables';

const REPO_ROOT = join(__dirname, '..');
const readJson = (path: string): unknown => JSON.parse(readFileSync(path, 'utf8').replace(/^\uFEFF/, ''));

/** Every generated region by name. */
export const GENERATORS: Generators = {
  'config-fields': () => configFieldsTable(readJson(join(REPO_ROOT, 'stacks', 'environment.schema.json')) as JsonSchema),
  'guardrail-rules': () => guardrailRulesTable(GUARDRAIL_RULES),
  'guardrail-suppression': () => suppressionExample(GUARDRAIL_RULES[0].id, MIN_SUPPRESSION_REASON_LENGTH),
  'smoke-steps': () => smokeStepsTable(SMOKE_STEPS),
  'receipt-checks': () => RECEIPT_CHECKS.map(code).join(', '),
  'exit-codes': () => exitCodesTable(EXIT_CODES),
};

/** The documents that may hold generated regions: README.md and docs/*.md under `root`. */
export function documents(root: string): string[] {
  const docs = join(root, 'docs');
  return [
    join(root, 'README.md'),
    ...readdirSync(docs)
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => join(docs, f)),
  ];
}

/** Rewrites every stale region under `root`; returns the documents it changed. */
export function writeDocs(root: string, generators: Generators = GENERATORS): string[] {
  const changed: string[] = [];
  for (const file of documents(root)) {
    const text = readFileSync(file, 'utf8');
    const name = relative(root, file);
    const rendered = renderDocument(text, name, generators);
    if (rendered === text) continue;
    writeFileSync(file, rendered);
    changed.push(name);
  }
  return changed;
}

function docsCli() {
  return createCli({
    name: 'docs',
    summary: `Rewrites the generated regions of README.md and docs/*.md from the code (${Object.keys(GENERATORS).join(', ')}).`,
    examples: [[DOCS_COMMAND, 'after changing the schema, a guardrail rule, a smoke step or an exit code']],
  });
}

function main(): number {
  const changed = writeDocs(REPO_ROOT);
  console.log(changed.length ? changed.map((f) => `updated ${f}`).join('\n') : 'every generated region is up to date');
  return exitCode('ok');
}

if (require.main === module) runCli(docsCli(), main, [[RegionError, 'failed', `${DOCS_COMMAND} refused`]]);

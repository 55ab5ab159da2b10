import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { GENERATORS, documents, writeDocs } from '../../docs/generate';
import { DOCS_COMMAND, beginMarker, endMarker, regionNames, renderDocument, staleRegions } from '../../docs/regions';
import { configFieldsTable, guardrailRulesTable, smokeStepsTable, type JsonSchema } from '../../docs/tables';
import { REPO_ROOT } from '../helpers/environments';

const read = (file: string) => readFileSync(file, 'utf8');

describe('the generated regions of README.md and docs/*.md', () => {
  test(`are what the code holds now (run \`${DOCS_COMMAND}\` when this fails)`, () => {
    const stale: string[] = [];
    for (const file of documents(REPO_ROOT)) {
      const name = relative(REPO_ROOT, file);
      for (const region of staleRegions(read(file), name, GENERATORS)) stale.push(`${name}: region '${region}'`);
    }
    if (stale.length) throw new Error(`out of date; run \`${DOCS_COMMAND}\`:\n${stale.join('\n')}`);
  });

  test('use every generator', () => {
    const used = documents(REPO_ROOT).flatMap((file) => regionNames(read(file), file));
    expect(new Set(used)).toEqual(new Set(Object.keys(GENERATORS)));
  });
});

describe('generated regions', () => {
  const generators = { greeting: () => '| word |\n| --- |\n| hello |' };
  const doc = (content: string) =>
    `# Title\n\nprose before\n\n${beginMarker('greeting')}\n\n${content}\n\n${endMarker('greeting')}\n\nprose after\n`;

  test('a region that differs from its generator is stale, by name; one that matches is not', () => {
    expect(staleRegions(doc('| word |\n| ---- |\n| bye  |'), 'x.md', generators)).toEqual(['greeting']);
    expect(staleRegions(doc('| word  |\n| ----- |\n| hello |'), 'x.md', generators)).toEqual([]);
  });

  test('rendering replaces the region only, formatted as prettier would, and again changes nothing', () => {
    const rendered = renderDocument(doc('stale'), 'x.md', generators);
    expect(rendered).toBe(doc('| word  |\n| ----- |\n| hello |'));
    expect(renderDocument(rendered, 'x.md', generators)).toBe(rendered);
  });

  test.each([
    ['an unknown generator', `${beginMarker('nope')}\n${endMarker('nope')}\n`, "x.md:1: no generator named 'nope'; known: greeting"],
    [
      'a region without its end',
      `text\n${beginMarker('greeting')}\n`,
      "x.md:2: region 'greeting' has no '<!-- END GENERATED: greeting -->'",
    ],
    ['an end without its region', `${endMarker('greeting')}\n`, "x.md:1: '<!-- END GENERATED: greeting -->' has no matching"],
    [
      'a nested region',
      `${beginMarker('greeting')}\n${beginMarker('greeting')}\n`,
      "x.md:2: region 'greeting' begins inside region 'greeting'",
    ],
    ['a misspelt marker', '<!-- BEGIN GENERATED: greeting -->\n', 'x.md:1: malformed marker'],
  ])('fails naming the file and line for %s', (_, text, message) => {
    expect(() => renderDocument(text, 'x.md', generators)).toThrow(message);
  });

  test('writeDocs rewrites exactly the stale regions of a copy of the docs, then finds nothing to do', () => {
    const root = mkdtempSync(join(tmpdir(), 'acl-docs-'));
    cpSync(join(REPO_ROOT, 'README.md'), join(root, 'README.md'));
    cpSync(join(REPO_ROOT, 'docs'), join(root, 'docs'), { recursive: true, filter: (src) => !src.endsWith('.ts') });
    const original = read(join(root, 'docs', 'guardrails.md'));
    writeFileSync(join(root, 'docs', 'guardrails.md'), original.replace(/\| ACL-L1 .*\n/, ''));
    expect(writeDocs(root)).toEqual(['docs/guardrails.md']);
    expect(read(join(root, 'docs', 'guardrails.md'))).toBe(original);
    expect(writeDocs(root)).toEqual([]);
  });

  test(`\`${DOCS_COMMAND} -- --help\` prints its usage and writes nothing; an unknown flag exits 2`, () => {
    const run = (arg: string) =>
      spawnSync(process.execPath, [join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'docs/generate.ts', arg], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      });
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Usage: docs');
    expect(help.stdout).toContain(`Examples:\n  ${DOCS_COMMAND}`);
    expect(help.stdout).not.toContain('updated');
    const unknown = run('--chek');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--chek'");
  });
});

describe('tables from the data', () => {
  test('config fields: each field with its path, type, requirement, default and description, unions by variant', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        promotesFrom: { type: 'array', items: { type: 'string' }, description: 'environments this one promotes from' },
        retries: { type: 'integer', minimum: 1, maximum: 5, default: 3 },
        target: {
          oneOf: [
            {
              type: 'object',
              properties: { kind: { type: 'string', const: 'a' }, id: { type: 'string', format: 'uuid' } },
              required: ['kind', 'id'],
            },
            { type: 'object', properties: { kind: { type: 'string', const: 'b' } }, required: ['kind'] },
          ],
        },
        labels: {
          type: 'object',
          propertyNames: { type: 'string', pattern: '^[a-z]+$' },
          additionalProperties: { type: 'object', properties: { text: { type: 'string', minLength: 1 } }, required: ['text'] },
        },
      },
      required: ['promotesFrom', 'target'],
    };
    expect(configFieldsTable(schema).split('\n')).toEqual([
      '| field | type | required | default | description |',
      '| --- | --- | --- | --- | --- |',
      '| `promotesFrom` | list of string | yes |  | environments this one promotes from |',
      '| `retries` | integer 1–5 | no | `3` |  |',
      '| `target` | one of: kind "a", kind "b" | yes |  |  |',
      '| `target.kind` | "a" \\| "b" | yes |  |  |',
      '| `target.id` | GUID | yes (kind "a") |  |  |',
      '| `labels` | map (keys matching `^[a-z]+$`) of object | no |  |  |',
      '| `labels.<key>.text` | string ≥ 1 characters | yes |  |  |',
    ]);
  });

  test('guardrail rules: one row per rule in pack order, from the rule pack alone (not from the shipped environments)', () => {
    const rules = [
      { id: 'ACL-X1', info: 'A holds.', explanation: 'Because | pipes stay in their cell.' },
      { id: 'ACL-X2', info: 'B holds.', explanation: 'Why B.', scannerEquivalent: 'checkov CKV_1' },
    ];
    expect(guardrailRulesTable(rules).split('\n').slice(2)).toEqual([
      '| ACL-X1 | A holds. | Because \\| pipes stay in their cell. |  |',
      '| ACL-X2 | B holds. | Why B. | checkov CKV_1 |',
    ]);
  });

  test('smoke steps: one row per step in order with its exit code', () => {
    const steps = { resolve: { exitCode: 10, title: 'find it' }, extra: { exitCode: 19, title: 'a step added later' } };
    expect(smokeStepsTable(steps).split('\n').slice(2)).toEqual(['| 10 | resolve | find it |', '| 19 | extra | a step added later |']);
  });
});

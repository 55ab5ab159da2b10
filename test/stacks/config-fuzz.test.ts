import fc from 'fast-check';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentConfigError } from '../../stacks/environment-config';
import { SynthError, synthAll } from '../../stacks/synth';
import { copyEnvironments } from '../helpers/environments';

/** Every path to a value in a JSON document (objects and arrays included). */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const here = prefix.length ? [prefix] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => paths(v, [...prefix, i]))];
  if (value && typeof value === 'object') return [...here, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...prefix, k]))];
  return here;
}

const ODD_STRINGS = [
  '',
  ' ',
  'x'.repeat(5000),
  '\u0000',
  'ledger\u200b',
  'ΑΒΓ',
  '🙂🙂🙂',
  'a\nb',
  '../../etc/passwd',
  '${azurerm_key_vault.x.id}',
  '00000000-0000-0000-0000-00000000000g',
];

/** A mutation of one place in an environment file. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const) }),
  fc.record({ kind: fc.constant('unknown-key' as const), key: fc.string({ minLength: 1, maxLength: 12 }) }),
  fc.record({
    kind: fc.constant('replace' as const),
    value: fc.oneof(fc.constantFrom<unknown>(...ODD_STRINGS), fc.jsonValue({ maxDepth: 2 })),
  }),
  fc.record({ kind: fc.constant('string' as const), value: fc.string({ unit: 'binary', maxLength: 64 }) }),
);

const ENV_FILES = ['dev', 'test', 'prod'];
const ORIGINALS = Object.fromEntries(
  ENV_FILES.map((name) => [name, JSON.parse(readFileSync(join(copyEnvironments(), `${name}.json`), 'utf8'))]),
);
/** An error line as documented: `<file>: …`, an indented violation, or the violation header. */
const DOCUMENTED_LINE = /^(\S*\.json: \S.*|guardrails refused \d+ violations? .*| {2}\S.*)$/;

describe('environment files under random mutation', () => {
  test('synth either succeeds or fails with the documented one-line errors, and never writes a half result', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ENV_FILES), fc.nat(), mutation, (name, pick, change) => {
        const dir = copyEnvironments();
        const config = structuredClone(ORIGINALS[name]);
        const all = paths(config);
        const path = all[pick % all.length];
        let parent: any = config;
        for (const key of path.slice(0, -1)) parent = parent[key];
        const last = path[path.length - 1];
        if (change.kind === 'delete') {
          if (Array.isArray(parent)) parent.splice(Number(last), 1);
          else delete parent[last];
        } else if (change.kind === 'unknown-key')
          (typeof parent[last] === 'object' && parent[last] !== null ? parent[last] : config)[`x-${change.key}`] = 1;
        else parent[last] = change.value;
        writeFileSync(join(dir, `${name}.json`), JSON.stringify(config));

        const outdir = mkdtempSync(join(tmpdir(), 'acl-fuzz-out-'));
        try {
          const result = synthAll({ environmentsDir: dir, outdir });
          // accepted: every stack is complete JSON.
          for (const stackDir of Object.values(result.stackDirs))
            expect(JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8')).resource).toBeDefined();
        } catch (error) {
          expect(error instanceof EnvironmentConfigError || error instanceof SynthError).toBe(true);
          const lines = (error as Error).message.split('\n');
          for (const line of lines) expect(line).toMatch(DOCUMENTED_LINE);
          expect((error as Error).message).not.toMatch(/\n\s+at /);
          expect(existsSync(join(outdir, 'stacks'))).toBe(false);
          expect(readdirSync(outdir)).toEqual([]);
        }
      }),
      { numRuns: 150, seed: Number(process.env.FUZZ_SEED ?? 20261128) },
    );
  });
});

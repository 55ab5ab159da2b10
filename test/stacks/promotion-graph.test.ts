import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentConfigError, loadEnvironments } from '../../stacks/environment-config';
import { graphProblems, promotionOrder, type GraphNode } from '../../stacks/promotion-graph';
import { synthAll } from '../../stacks/synth';
import { environmentFile, writeEnvironmentGraph, writeEnvironmentSet } from '../helpers/environment-sets';

/** The problems loading a generated set reports, with the folder cut off the file names. */
function refusal(dir: string): string[] {
  try {
    loadEnvironments(dir);
  } catch (error) {
    if (error instanceof EnvironmentConfigError) return error.problems.map((p) => p.replace(/^.*?([\w-]+\.json)/, '$1'));
    throw error;
  }
  throw new Error('expected the environments to be refused');
}

const graph = (spec: Record<string, string[]>): GraphNode[] =>
  Object.entries(spec).map(([name, promotesFrom]) => ({ name, file: `${name}.json`, promotesFrom }));

describe('the promotion graph in the environment files', () => {
  test('an unknown predecessor is refused naming file, JSON path and the known environments', () => {
    expect(refusal(writeEnvironmentGraph({ dev: [], test: ['dev'], staging: ['tst'], prod: ['staging'] }))).toEqual([
      "staging.json: promotesFrom[0]: 'tst' is not an environment (known: dev, prod, test)",
    ]);
  });

  test('self-reference and a name listed twice are refused', () => {
    expect(refusal(writeEnvironmentGraph({ dev: ['dev'], prod: ['dev', 'dev'] }))).toEqual([
      "dev.json: promotesFrom[0]: 'dev' is this environment itself; an environment cannot be promoted from itself",
      "prod.json: promotesFrom[1]: 'dev' is listed twice",
    ]);
  });

  test('a cycle is refused once, naming its files and its path, even with environments downstream of it', () => {
    const problems = refusal(writeEnvironmentGraph({ dev: [], a: ['dev', 'c'], b: ['a'], c: ['b'], prod: ['c'] }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^a\.json, .*b\.json, .*c\.json: promotesFrom forms a cycle a → b → c → a; the promotion graph must have no cycle/,
    );
    expect(refusal(writeEnvironmentGraph({ x: ['y'], y: ['x'] }))).toEqual([
      expect.stringMatching(/^x\.json, .*y\.json: promotesFrom forms a cycle x → y → x;/),
    ]);
  });

  test('a name in promotesFrom that is not an environment name is refused by the schema', () => {
    const env = { ...environmentFile('dev'), promotesFrom: ['Test Env'] };
    expect(refusal(writeEnvironmentSet({ dev: env }))).toEqual([
      'dev.json: promotesFrom[0] "Test Env" must be an environment name (the file name without .json)',
    ]);
  });

  test('a file that fails to load is still a known name: its successors get no second error', () => {
    const dir = writeEnvironmentGraph({ dev: [], test: ['dev'] });
    writeFileSync(join(dir, 'dev.json'), '{ "tier": ');
    expect(refusal(dir)).toEqual([expect.stringMatching(/^dev\.json: is not valid JSON/)]);
  });

  test('the tier is no order: several roots, a dev-tier environment after a prod-tier one', () => {
    const dir = writeEnvironmentSet({
      a: environmentFile('a', 'prod'),
      b: environmentFile('b', 'dev'),
      c: environmentFile('c', 'dev', ['a', 'b']),
    });
    const { waves } = promotionOrder(loadEnvironments(dir));
    expect(waves).toEqual([['a', 'b'], ['c']]);
  });

  test.each<[string, Record<string, string[]>, string[][]]>([
    [
      'a fan-out to two prod regions',
      { dev: [], test: ['dev'], 'prod-weu': ['test'], 'prod-neu': ['test'] },
      [['dev'], ['test'], ['prod-neu', 'prod-weu']],
    ],
    [
      'a staging between test and prod',
      { dev: [], test: ['dev'], staging: ['test'], prod: ['staging'] },
      [['dev'], ['test'], ['staging'], ['prod']],
    ],
    // a wave is the longest path from a root: d waits for c, which waits for b.
    ['a diamond with a long side', { a: [], b: ['a'], c: ['b'], d: ['a', 'c'] }, [['a'], ['b'], ['c'], ['d']]],
  ])('waves of %s', (_, spec, waves) => {
    expect(graphProblems(graph(spec))).toEqual([]);
    expect(promotionOrder(graph(spec)).waves).toEqual(waves);
  });

  test('for any acyclic graph, the order is topological and each wave is one past its deepest predecessor', () => {
    // node i may be promoted from any of nodes 0..i-1: every such graph is acyclic.
    const dags = fc
      .integer({ min: 1, max: 12 })
      .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => `e${j}`)))))
      .map((preds) => graph(Object.fromEntries(preds.map((p, i) => [`e${i}`, p]))));
    fc.assert(
      fc.property(dags, fc.func(fc.integer()), (nodes, shuffleKey) => {
        const shuffled = [...nodes].sort((a, b) => shuffleKey(a.name) - shuffleKey(b.name));
        expect(graphProblems(shuffled)).toEqual([]);
        const { order, waves } = promotionOrder(shuffled);
        const at = new Map(order.map((n) => [n.name, n]));
        order.forEach((n, i) => {
          for (const p of n.promotesFrom) expect(order.findIndex((o) => o.name === p)).toBeLessThan(i);
          expect(n.wave).toBe(Math.max(-1, ...n.promotesFrom.map((p) => at.get(p)!.wave)) + 1);
        });
        expect(waves.flat()).toEqual(order.map((n) => n.name));
      }),
    );
  });
});

describe('synth of generated sets shaped as promotion graphs', () => {
  test.each<[string, Record<string, string[]>]>([
    ['4 environments with a fan-out to two prod regions', { dev: [], test: ['dev'], 'prod-weu': ['test'], 'prod-neu': ['test'] }],
    ['a staging between test and prod', { dev: [], test: ['dev'], staging: ['test'], prod: ['staging'] }],
  ])('%s synthesizes one stack per environment', (_, spec) => {
    const result = synthAll({ environmentsDir: writeEnvironmentGraph(spec), outdir: mkdtempSync(join(tmpdir(), 'acl-graph-synth-')) });
    expect(Object.keys(result.stackDirs).sort()).toEqual(
      Object.keys(spec)
        .map((n) => `acl-${n}`)
        .sort(),
    );
  });
});

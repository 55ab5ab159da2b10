import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { synthAll } from '../../stacks/synth';
import { CDKTF_CLI_SKIPPED, testWithCdktfCli } from '../helpers/cdktf-cli';
import { environmentFile, writeEnvironmentSet } from '../helpers/environment-sets';
import { REPO_ROOT } from '../helpers/environments';

/**
 * hcl2json (installed with cdktf-cli) parses HCL as Terraform does, without Terraform. Required,
 * not imported: its typings pull the DOM library into the whole type-check.
 */
const { parse } = require('@cdktf/hcl2json') as { parse(filename: string, contents: string): Promise<Record<string, any>> };

/** A generated set with every kind of multi-line value: certificate principals (PEM) and alert queries. */
function environmentSet(): string {
  const dev = environmentFile('dev', 'dev');
  dev.ledger.principals.push(
    { kind: 'certificate', certificateFile: 'certs/alice.pem', role: 'Contributor', description: 'an agent without Entra ID' },
    { kind: 'certificate', certificateFile: 'certs/bob.pem', role: 'Reader' },
  );
  const dir = writeEnvironmentSet({ dev, test: environmentFile('test', 'test'), prod: environmentFile('prod') });
  mkdirSync(join(dir, 'certs'));
  for (const name of ['alice.pem', 'bob.pem']) copyFileSync(join(REPO_ROOT, 'test', 'fixtures', 'certs', name), join(dir, 'certs', name));
  return dir;
}

/** Synthesizes in this process, as JSON or (as `cdktf synth --hcl` asks the app to) as HCL. */
function synth(environmentsDir: string, hcl: boolean): string {
  const outdir = mkdtempSync(join(tmpdir(), hcl ? 'acl-hcl-' : 'acl-json-'));
  const before = process.env.SYNTH_HCL_OUTPUT;
  if (hcl) process.env.SYNTH_HCL_OUTPUT = 'true';
  else delete process.env.SYNTH_HCL_OUTPUT;
  try {
    synthAll({ environmentsDir, outdir });
  } finally {
    if (before === undefined) delete process.env.SYNTH_HCL_OUTPUT;
    else process.env.SYNTH_HCL_OUTPUT = before;
  }
  return outdir;
}

/**
 * One shape for both: HCL blocks parse as lists of objects where the JSON may hold one object, a
 * whole-string reference parses as `${…}` where depends_on holds it bare, and comments ("//") are dropped.
 */
function normalize(value: unknown, key = ''): unknown {
  const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  // an object is a one-item list of itself; a list of objects stays one list.
  if (Array.isArray(value)) return value.flatMap((v) => (isObject(v) ? (normalize(v, key) as unknown[]) : [normalize(v, key)]));
  if (isObject(value)) {
    const object = Object.fromEntries(
      Object.entries(value as object)
        .filter(([k]) => k !== '//')
        .map(([k, v]) => [k, normalize(v, k)]),
    );
    return [object];
  }
  if (key === 'depends_on' && typeof value === 'string') return value.replace(/^\$\{(.*)\}$/, '$1');
  return value;
}

/** The parsed HCL of every stack, and the JSON synth's, both normalized: stack → { resource, provider, terraform, … }. */
async function both(environmentsDir: string) {
  const json = synth(environmentsDir, false);
  const hcl = synth(environmentsDir, true);
  const stacks = readdirSync(join(hcl, 'stacks')).sort();
  expect(stacks).toEqual(readdirSync(join(json, 'stacks')).sort());
  return Promise.all(
    stacks.map(async (stack) => {
      const file = join(hcl, 'stacks', stack, 'cdk.tf');
      const parsed = await parse(file, readFileSync(file, 'utf8'));
      const synthesized = JSON.parse(readFileSync(join(json, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
      return { stack, parsed, synthesized, text: readFileSync(file, 'utf8') };
    }),
  );
}

describe('the exported HCL (cdktf synth --hcl)', () => {
  let stacks: Awaited<ReturnType<typeof both>>;
  beforeAll(async () => {
    stacks = await both(environmentSet());
  }, 120_000);

  test('of every stack parses (hcl2json, no Terraform needed)', () => {
    expect(stacks.map((s) => s.stack)).toEqual(['acl-dev', 'acl-prod', 'acl-test']);
    for (const { parsed } of stacks) expect(Object.keys(parsed.resource).length).toBeGreaterThan(5);
  });

  test('holds the same resources, providers and settings as the JSON synth (every section), PEMs and queries byte for byte', () => {
    for (const { parsed, synthesized } of stacks) {
      const sections = Object.keys(synthesized).filter((k) => k !== '//');
      expect(sections).toEqual(expect.arrayContaining(['resource', 'provider', 'terraform']));
      expect(Object.keys(parsed).sort()).toEqual([...sections].sort());
      for (const section of sections) {
        expect([section, normalize(parsed[section])]).toEqual([section, normalize(synthesized[section])]);
      }
    }
    const dev = stacks.find((s) => s.stack === 'acl-dev')!;
    const ledger = Object.values<any>(dev.parsed.resource.azurerm_confidential_ledger)[0][0];
    expect(ledger.certificate_based_security_principal.map((p: { pem_public_key: string }) => p.pem_public_key).sort()).toEqual(
      ['alice.pem', 'bob.pem'].map((f) => readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'certs', f), 'utf8')).sort(),
    );
  });

  test('carries the pinned Terraform version, which cdktf alone renders as `0 = "required_version"`', () => {
    for (const { parsed, text } of stacks) {
      expect(parsed.terraform[0].required_version).toMatch(/^>= \d/);
      expect(text).not.toMatch(/^\s*\d+ = "/m);
    }
  });

  test('a multi-line string that cdktf would split across lines is one quoted line with \\n escapes', () => {
    const dev = stacks.find((s) => s.stack === 'acl-dev')!.text;
    expect(dev).toMatch(/^pem_public_key = "-----BEGIN CERTIFICATE-----\\n[A-Za-z0-9+/=\\n]+-----END CERTIFICATE-----\\n"$/m);
  });
});

describe(`npx cdktf synth --hcl${CDKTF_CLI_SKIPPED}`, () => {
  testWithCdktfCli(
    'writes HCL that parses for every stack of a generated set',
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'acl-cli-hcl-'));
      const run = spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'cdktf'), ['synth', '--hcl', '--output', out], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
        env: { ...process.env, CHECKPOINT_DISABLE: '1', ACL_ENVIRONMENTS_DIR: environmentSet() },
      });
      expect(run.status).toBe(0);
      const stacks = readdirSync(join(out, 'stacks')).sort();
      expect(stacks).toEqual(['acl-dev', 'acl-prod', 'acl-test']);
      for (const stack of stacks) {
        const file = join(out, 'stacks', stack, 'cdk.tf');
        await expect(parse(file, readFileSync(file, 'utf8'))).resolves.toHaveProperty('resource');
      }
    },
    180_000,
  );
});

import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GUARDRAIL_RULE_IDS } from '../../constructs/governance';
import { EnvironmentConfigError, loadEnvironments } from '../../stacks/environment-config';
import { GUARDRAIL_CONFIG_PATHS } from '../../stacks/ledger-stack';
import { SynthError, synthAll } from '../../stacks/synth';
import { environmentFile, writeEnvironmentSet } from '../helpers/environment-sets';

/*
 * Errors after the schema (construct checks, residency, validations, guardrails) and errors reading
 * the files name the environment file and the JSON path, never a construct path or a Terraform
 * attribute. Every environment set is generated in a temp folder.
 */

const CERTS = join(__dirname, '..', 'fixtures', 'certs');

/** The message synth refuses a generated one-file set with, after `change` edits the file. */
function refusal(change: (env: any) => void, name = 'a'): string {
  const env = environmentFile(name);
  change(env);
  try {
    synthAll({ environmentsDir: writeEnvironmentSet({ [name]: env }), outdir: mkdtempSync(join(tmpdir(), 'acl-terms-out-')) });
  } catch (error) {
    if (error instanceof SynthError || error instanceof EnvironmentConfigError) return error.message.replace(/\S*\/a\.json/g, 'a.json');
    throw error;
  }
  throw new Error('expected synth to be refused');
}

/** The problems loading a folder holding `a.json` with these exact bytes reports. */
function loadProblems(content: string | Buffer, extraFiles: Record<string, string | Buffer> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'acl-terms-'));
  writeFileSync(join(dir, 'a.json'), content);
  for (const [file, body] of Object.entries(extraFiles)) writeFileSync(join(dir, file), body);
  try {
    loadEnvironments(dir);
  } catch (error) {
    if (error instanceof EnvironmentConfigError) return error.message.replace(/^.*?a\.json/gm, 'a.json');
    throw error;
  }
  throw new Error('expected the file to be refused');
}

/** Neither a construct path (`acl-a/...`) nor a snake_case Terraform attribute outside the quoted values. */
function expectConfigTerms(message: string): void {
  expect(message).not.toMatch(/acl-a\//);
  // prevent_destroy is the Terraform feature guardrail ACL-L3 asks for, not an attribute of a resource.
  expect(message.replace(/"[^"]*"/g, '').replace(/prevent_destroy/g, '')).not.toMatch(/\b[a-z]+_[a-z_]+\b/);
}

describe('construct checks and residency, in config terms', () => {
  test.each<[string, (env: any) => void, string]>([
    [
      'a ledger name Azure refuses',
      (e) => (e.ledger.name = 'Contoso_Ledger'),
      'a.json: ledger.name "Contoso_Ledger" is not a valid ledger name',
    ],
    [
      'a vault name Azure refuses',
      (e) => (e.keyVault.name = 'kv--double'),
      'a.json: keyVault.name "kv--double" is not a valid Key Vault name',
    ],
    [
      'a workspace name Azure refuses',
      (e) => (e.logAnalytics = { mode: 'create', name: 'log', retentionInDays: 90 }),
      'a.json: logAnalytics.name "log" must be 4–63 letters',
    ],
    [
      'a residency breach',
      (e) => ((e.location = 'eastus'), (e.ledger.allowedGeographies = ['europe'])),
      `a.json: location "eastus" breaks the residency rule (allowed geographies: europe)`,
    ],
    [
      'a management role the ledger does not know',
      (e) => (e.ledger.roleAssignments.auditors.roleDefinitionIdOrName = 'Storage Reader'),
      'a.json: ledger.roleAssignments.auditors.roleDefinitionIdOrName "Storage Reader" is neither a role definition id nor a known role',
    ],
    [
      'a private endpoint on the ledger',
      (e) => (e.ledger.privateEndpoint = e.keyVault.privateEndpoint),
      'a.json: ledger.privateEndpoint "Microsoft.ConfidentialLedger/ledgers" cannot have a private endpoint',
    ],
    [
      'an extra tag that redefines a required one',
      (e) => (e.tags.extra = { owner: 'someone' }),
      'a.json: tags.extra.owner "someone" redefines a required tag',
    ],
    [
      'an extra tag value over Azure’s limit',
      (e) => (e.tags.extra = { note: 'v'.repeat(257) }),
      `a.json: tags.extra.note "${'v'.repeat(257)}" exceeds Azure's limit of 256 characters`,
    ],
    [
      'a suppression in tier prod',
      (e) => (e.guardrails = { suppressions: [{ ruleId: 'ACL-KV4', reason: 'the vault is reached over its IP allow-list' }] }),
      'a.json: guardrails.suppressions ["ACL-KV4"] are refused in tier prod',
    ],
    [
      'an alert threshold the construct refuses',
      (e) => (e.alerts.serverErrors = { threshold: 150 }),
      'a.json: alerts.serverErrors.threshold 150 is a percentage of requests; it must be at most 100',
    ],
    [
      'principals without an Administrator (a construct validation)',
      (e) => (e.ledger.principals[0].role = 'Reader'),
      'a.json: ledger.principals has no Administrator; at least one principal must hold the Administrator ledger role',
    ],
  ])('%s', (_, change, expected) => {
    const message = refusal(change);
    expect(message.slice(0, expected.length)).toBe(expected);
    expectConfigTerms(message);
  });
});

describe('guardrail violations, in config terms', () => {
  test.each<[string, (env: any) => void, string]>([
    ['ACL-L1', (e) => (e.ledger.type = 'Public'), 'a.json: ledger.type "Public" breaks guardrail ACL-L1: The ledger is of type Private.'],
    ['ACL-L2', (e) => delete e.ledger.lock, 'a.json: ledger.lock is not set, which breaks guardrail ACL-L2:'],
    ['ACL-L3', (e) => (e.ledger.preventDestroy = false), 'a.json: ledger.preventDestroy false breaks guardrail ACL-L3:'],
    [
      'ACL-KV2',
      (e) => (e.keyVault.publicNetworkAccessEnabled = true),
      'a.json: keyVault.publicNetworkAccessEnabled true breaks guardrail ACL-KV2: The Key Vault has public network access disabled.',
    ],
    ['ACL-KV4', (e) => delete e.keyVault.privateEndpoint, 'a.json: keyVault.privateEndpoint is not set, which breaks guardrail ACL-KV4:'],
    ['ACL-KV5', (e) => delete e.keyVault.lock, 'a.json: keyVault.lock is not set, which breaks guardrail ACL-KV5:'],
    [
      'ACL-LA1',
      (e) => (e.logAnalytics = { mode: 'create', name: 'log-a', retentionInDays: 30 }),
      'a.json: logAnalytics.retentionInDays 30 breaks guardrail ACL-LA1:',
    ],
    ['ACL-M1', (e) => delete e.alerts.actionGroup, 'a.json: alerts breaks guardrail ACL-M1:'],
  ])('%s names the setting and its value', (_, change, expected) => {
    const message = refusal(change);
    expect(message).toContain(`\n  ${expected}`);
    expectConfigTerms(message);
  });

  test('every guardrail says which setting decides it', () => {
    expect(GUARDRAIL_RULE_IDS.filter((id) => !GUARDRAIL_CONFIG_PATHS[id])).toEqual([]);
  });
});

describe('reading environment files', () => {
  const valid = JSON.stringify(environmentFile('a'), null, 2);

  test('accepts a UTF-8 byte-order mark', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acl-terms-'));
    writeFileSync(join(dir, 'a.json'), '\uFEFF' + valid);
    expect(loadEnvironments(dir).map((e) => e.name)).toEqual(['a']);
  });

  test.each<[string, string, string]>([
    ['a trailing comma', '{\n  "tier": "prod",\n}', 'a.json: is not valid JSON: 3:1: property name expected'],
    ['a missing comma', '{\n  "tier": "prod"\n  "location": "westeurope"\n}', 'a.json: is not valid JSON: 3:3: comma expected'],
    ['a bare word (Node gives no position)', '{\n  "preventDestroy": tru\n}', 'a.json: is not valid JSON: 2:21: invalid symbol'],
    ['a comment', '{\n  // prod\n  "tier": "prod"\n}', 'a.json: is not valid JSON: 2:3: comments are not allowed in JSON'],
    ['a truncated file', '{ "tier": ', 'a.json: is not valid JSON: 1:11: value expected'],
  ])('gives line and column for %s', (_, content, expected) => {
    expect(loadProblems(content)).toBe(expected);
  });

  test('never echoes control characters from a key (a terminal escape in an unknown key or a map key)', () => {
    const env = environmentFile('a');
    env['\u001b]0;owned\u0007'] = 1;
    env.ledger.roleAssignments = { '\u001b[2Jwipe': { principalId: env.ledger.principals[0].objectId, roleDefinitionIdOrName: 'Reader' } };
    const message = loadProblems(JSON.stringify(env));
    // nothing a terminal would act on: every control character but the line breaks is shown escaped.
    expect(message.replace(/\n/g, ' ')).not.toMatch(/\p{Cc}/u);
    expect(message).toContain("a.json: unknown key '\\u001b]0;owned\\u0007'");
    expect(message).toContain('ledger.roleAssignments.\\u001b[2Jwipe');
  });

  test('gives line and column after a byte-order mark too', () => {
    expect(loadProblems('\uFEFF{\n  "tier": "prod",\n}')).toBe('a.json: is not valid JSON: 3:1: property name expected');
  });

  test.each<[string, Buffer, string]>([
    ['binary content', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x14, 0x00]), 'a.json: is binary, not text (a NUL byte at 1:5)'],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d]), 'a.json: is binary, not UTF-8 text'],
    ['UTF-16 text', Buffer.from('\uFEFF{}', 'utf16le'), 'a.json: is UTF-16 text; save it as UTF-8'],
  ])('refuses %s without echoing it', (_, bytes, expected) => {
    const message = loadProblems(bytes);
    expect(message).toBe(expected);
    expect(message).not.toContain('PK');
  });
});

describe('certificate files', () => {
  const withCertificate = (file: string) =>
    JSON.stringify({
      ...environmentFile('a'),
      ledger: {
        ...environmentFile('a').ledger,
        principals: [...environmentFile('a').ledger.principals, { kind: 'certificate', certificateFile: file, role: 'Reader' }],
      },
    });
  const alice = readFileSync(join(CERTS, 'alice.pem'), 'utf8');
  const privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const keyBody = privateKey.split('\n')[1];

  test('a certificate with a byte-order mark is accepted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'acl-terms-'));
    writeFileSync(join(dir, 'a.json'), withCertificate('alice.pem'));
    writeFileSync(join(dir, 'alice.pem'), '\uFEFF' + alice);
    expect(loadEnvironments(dir)[0].ledger.principals).toHaveLength(2);
  });

  test.each<[string, () => string | Buffer, string]>([
    ['a private key', () => privateKey, 'is a private key; give the certificate (public part) instead'],
    [
      'a certificate with its private key',
      () => alice + privateKey,
      'holds a private key beside the certificate; give the certificate (public part) alone',
    ],
    [
      'a DER certificate',
      () => Buffer.from(new X509Certificate(alice).raw),
      'is binary, not UTF-8 text: a DER certificate? convert it with openssl x509 -inform der',
    ],
    ['other text', () => 'hello', 'is not a PEM X.509 certificate'],
  ])('%s is refused, naming the file and the path, without echoing it', (_, body, expected) => {
    const message = loadProblems(withCertificate('client.pem'), { 'client.pem': body() });
    expect(message).toContain(`a.json: ledger.principals[1].certificateFile "client.pem" ${expected}`);
    expect(message).not.toContain(keyBody);
  });
});

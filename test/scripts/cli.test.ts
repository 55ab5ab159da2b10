import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/environments';
import { readyReceipt, startTestLedger, waitForCommit } from '../helpers/local-ledger';
import { AZURE_VECTORS, alter, mutate } from '../helpers/vectors';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));
const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
const run = (script: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(tsx, [join(REPO_ROOT, 'scripts', script), ...args], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
/** The same, without blocking this process (for a server that lives in it). */
const runAsync = (script: string, args: string[], env: Record<string, string> = {}) =>
  new Promise<{ status: number | null; stdout: string }>((resolve) => {
    const child = spawn(tsx, [join(REPO_ROOT, 'scripts', script), ...args], { cwd: REPO_ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('close', (status) => resolve({ status, stdout }));
  });

describe('npm start', () => {
  const evidenceRoot = tmp('acl-start-evidence-');
  const outdir = tmp('acl-start-out-');
  const started = run('start.ts', [], {
    ACL_EVIDENCE_DIR: evidenceRoot,
    CDKTF_OUTDIR: outdir,
    ACL_LOCAL_LEDGER_DATA: tmp('acl-start-ledger-'),
  });

  test('synthesizes every environment, smoke-tests the local ledger and prints the transaction and evidence', () => {
    expect(started.stderr).toBe('');
    expect(started.status).toBe(0);
    expect(started.stdout).toMatch(/acl-dev → .*cdk\.tf\.json[\s\S]*acl-prod →[\s\S]*acl-test →/);
    expect(started.stdout).toMatch(/verified transaction: 2\.\d+/);
    expect(started.stdout).toContain(`evidence:             ${evidenceRoot}/local/`);
  });

  test('its evidence verifies with the verify-receipt command against the printed certificate', () => {
    const certificate = /^service certificate:\s+(\S+)$/m.exec(started.stdout)![1];
    const evidence = /^evidence:\s+(\S+)\/$/m.exec(started.stdout)![1];
    const verified = run('verify-receipt.ts', [join(evidence, 'receipt.json'), '--service-cert', certificate]);
    expect(verified.status).toBe(0);
    expect(verified.stdout).toMatch(/1 verified, 0 failed/);
    const stackHash = JSON.parse(JSON.parse(readFileSync(join(evidence, 'evidence.json'), 'utf8')).entry.contents).stackSha256;
    expect(stackHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

/** Every file below a folder, with its text. */
function filesUnder(dir: string): [string, string][] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [[join(dir, e.name), readFileSync(join(dir, e.name), 'utf8')] as [string, string]],
  );
}

const SECRET_PATTERNS: [string, RegExp][] = [
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['bearer token (JWT)', /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]+/],
  ['Authorization header', /authorization:\s*bearer/i],
  ['client secret', /client[_-]?secret/i],
];

describe('no secret leaves the machine', () => {
  test('npm start output, the evidence and the synthesized stacks hold no key, token or secret', () => {
    const evidenceRoot = mkdtempSync(join(tmpdir(), 'acl-secrets-ev-'));
    const outdir = mkdtempSync(join(tmpdir(), 'acl-secrets-out-'));
    const started = run('start.ts', [], {
      ACL_EVIDENCE_DIR: evidenceRoot,
      CDKTF_OUTDIR: outdir,
      ACL_LOCAL_LEDGER_DATA: mkdtempSync(join(tmpdir(), 'acl-secrets-ll-')),
    });
    expect(started.status).toBe(0);
    const outputs: [string, string][] = [
      ['stdout', started.stdout],
      ['stderr', started.stderr],
      ...filesUnder(evidenceRoot),
      ...filesUnder(outdir),
    ];
    expect(outputs.length).toBeGreaterThan(8);
    const leaks = outputs.flatMap(([name, text]) =>
      SECRET_PATTERNS.filter(([, pattern]) => pattern.test(text)).map(([what]) => `${what} in ${name}`),
    );
    expect(leaks).toEqual([]);
  });

  test('the patterns do catch what they look for', () => {
    const samples = [
      '-----BEGIN PRIVATE KEY-----',
      'eyJhbGciOiJFUzI1NiJ9.eyJvaWQiOiJ4In0xxxxxx.c2ln',
      'Authorization: Bearer abc',
      'ARM_CLIENT_SECRET=1',
    ];
    expect(samples.map((text) => SECRET_PATTERNS.some(([, p]) => p.test(text)))).toEqual([true, true, true, true]);
  });
});

describe('verify-receipt', () => {
  const vectors = join(REPO_ROOT, 'test', 'fixtures', 'azure-receipt-vectors.json');

  test('accepts the real Azure receipts', () => {
    const result = run('verify-receipt.ts', [vectors]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/4 verified, 0 failed/);
  });

  test('exits 1 and names the failed check for a changed receipt', () => {
    const dir = tmp('acl-verify-');
    const [one] = AZURE_VECTORS;
    writeFileSync(join(dir, 'receipt.json'), JSON.stringify(mutate(one.receipt, ['leafComponents', 'writeSetDigest'], alter)));
    writeFileSync(join(dir, 'service.pem'), one.serviceCertificate);
    const result = run('verify-receipt.ts', [join(dir, 'receipt.json'), '--service-cert', join(dir, 'service.pem')]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("receipt check 'signature' failed");
  });

  test('exits 1 against another ledger’s certificate', () => {
    const dir = tmp('acl-verify-');
    const [one, two] = AZURE_VECTORS;
    writeFileSync(join(dir, 'receipt.json'), JSON.stringify(one.receipt));
    writeFileSync(join(dir, 'other.pem'), two.serviceCertificate);
    const result = run('verify-receipt.ts', [join(dir, 'receipt.json'), '--service-cert', join(dir, 'other.pem')]);
    expect(result.status).toBe(1);
    expect(result.stdout).toContain("receipt check 'endorsement' failed");
  });

  test('--ledger fetches the certificate from the identity service (a local ledger trusted through NODE_EXTRA_CA_CERTS)', async () => {
    const ledger = await startTestLedger();
    try {
      const client = ledger.certificateClient();
      const posted = await client.path('/app/transactions').post({ body: { contents: 'audited' } });
      const id = posted.headers['x-ms-ccf-transaction-id'] as string;
      await waitForCommit(client, id);
      const dir = tmp('acl-verify-');
      writeFileSync(join(dir, 'receipt.json'), JSON.stringify(await readyReceipt(client, id)));
      const result = await runAsync(
        'verify-receipt.ts',
        [join(dir, 'receipt.json'), '--ledger', 'acl-local', '--identity-url', ledger.info.ledgerEndpoint],
        {
          NODE_EXTRA_CA_CERTS: ledger.info.serviceCertificatePath,
        },
      );
      expect(result.stdout).toContain(`transaction ${id}`);
      expect(result.status).toBe(0);
    } finally {
      await ledger.stop();
    }
  });

  test('exits 2 without a receipt', () => {
    expect(run('verify-receipt.ts', []).status).toBe(2);
  });
});

describe('smoke CLI usage', () => {
  test('exits 2 pointing at --help for a missing --env', () => {
    const result = run('smoke.ts', []);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("error: required option '--env <name>' not specified");
    expect(result.stderr).toContain('npm run smoke -- --help');
  });

  test('exits 2 naming the file for an environment that is not valid', () => {
    const result = run('smoke.ts', ['--env', 'nope', '--environments-dir', join(REPO_ROOT, 'environments')]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/environments\/nope\.json: cannot be read \(ENOENT\)/);
  });
});

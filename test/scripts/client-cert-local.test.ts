import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClientCertificate } from '../../local-ledger/identity';
import { runScript } from '../helpers/run-script';
import { newDataDir, startTestLedger, type TestLedger } from '../helpers/local-ledger';

const tmp = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** Runs a script as its own process without blocking this one, where the ledger lives. */
const runAsync = (script: string, args: string[]) => runScript(join('scripts', script), args);

/** A client certificate written to disk: its files and the user id the ledger knows it by. */
async function certificate(dir: string, name: string) {
  const created = await createClientCertificate(`acl-stack test ${name}`);
  const cert = join(dir, `${name}.cert.pem`);
  const key = join(dir, `${name}.key.pem`);
  writeFileSync(cert, created.certificatePem);
  writeFileSync(key, created.keyPem);
  return { cert, key, userId: created.userId };
}

describe('--client-cert/--client-key against a local ledger', () => {
  let ledger: TestLedger;
  let dataDir: string;
  let certs: Record<'contributor' | 'reader' | 'stranger', { cert: string; key: string; userId: string }>;
  let cdktfOut: string;
  beforeAll(async () => {
    const dir = tmp('acl-client-certs-');
    certs = {
      contributor: await certificate(dir, 'contributor'),
      reader: await certificate(dir, 'reader'),
      stranger: await certificate(dir, 'stranger'),
    };
    dataDir = newDataDir();
    ledger = await startTestLedger({
      dataDir,
      initialUsers: [
        { userId: certs.contributor.userId, role: 'Contributor' },
        { userId: certs.reader.userId, role: 'Reader' },
      ],
    });
    // attest records the hash of the deployed stack; any synthesized file stands in for it here.
    cdktfOut = tmp('acl-client-certs-out-');
    mkdirSync(join(cdktfOut, 'stacks', 'acl-dev'), { recursive: true });
    writeFileSync(join(cdktfOut, 'stacks', 'acl-dev', 'cdk.tf.json'), '{}');
  });
  afterAll(() => ledger.stop());

  const common = (who: keyof typeof certs) => [
    '--local-data',
    dataDir,
    '--evidence-dir',
    tmp('acl-client-certs-ev-'),
    '--cdktf-out',
    cdktfOut,
    '--client-cert',
    certs[who].cert,
    '--client-key',
    certs[who].key,
  ];
  const smoke = (who: keyof typeof certs) => runAsync('smoke.ts', ['--env', 'local', ...common(who)]);
  const attest = (who: keyof typeof certs) => runAsync('attest.ts', ['--env', 'dev', ...common(who)]);

  test('smoke acts as a registered certificate user and records the entry as it', async () => {
    const run = await smoke('contributor');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`✓ authenticate: as certificate ${certs.contributor.cert}`);
    const evidenceDir = /^evidence: (\S+)$/m.exec(run.stdout)![1];
    const evidence = JSON.parse(readFileSync(join(evidenceDir, 'evidence.json'), 'utf8'));
    expect(evidence.ok).toBe(true);
    const written = ledger.ledger.entry(ledger.ledger.parseTxId(evidence.transactionId)!);
    expect(written?.contents).toBe(evidence.entry.contents);
  });

  test('attest acts as a registered certificate user', async () => {
    const run = await attest('contributor');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/deployment attested: transaction 2\.\d+, receipt verified/);
  });

  test('a certificate the ledger does not know: 401 at authenticate, said in the user terms', async () => {
    for (const run of [await smoke('stranger'), await attest('stranger')]) {
      expect(run.status).toBe(12);
      expect(run.stderr).toContain("step 'authenticate' (authenticate to the ledger) failed: HTTP 401 Unauthorized");
      expect(run.stderr).toContain(`check: the ledger does not know certificate ${certs.stranger.cert}`);
      expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  });

  test('a certificate whose role is too weak: 403 at append, naming the certificate', async () => {
    const run = await smoke('reader');
    expect(run.status).toBe(13);
    expect(run.stderr).toContain("step 'append' (append the entry) failed: HTTP 403 Forbidden");
    expect(run.stderr).toContain(`check: certificate ${certs.reader.cert} is known to the ledger but its ledger role is too weak`);
  });
});

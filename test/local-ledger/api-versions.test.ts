import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalLedger } from '../../local-ledger';
import { readLedgerLog } from '../../local-ledger/ledger';
import { ReceiptVerificationError, verifyReceipt } from '../../receipts/verify';
import { independentClaimsDigest } from '../helpers/independent-claims';
import { newDataDir, rawRequest, readyReceipt, startTestLedger, waitForCommit, type TestLedger } from '../helpers/local-ledger';

const ZEROS = '0'.repeat(64);

describe('local ledger api-versions', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger();
  });
  afterAll(() => ledger.stop());

  /** Writes at one api-version and fetches the receipt at another, through the SDK. */
  const writeAndReceipt = async (contents: string, writeAt: string, readAt = writeAt, collectionId = 'claims') => {
    const writer = ledger.certificateClient(undefined, undefined, writeAt);
    const response = await writer.path('/app/transactions').post({ body: { contents }, queryParameters: { collectionId } });
    expect(response.status).toBe('200');
    const id = response.headers['x-ms-ccf-transaction-id'] as string;
    await waitForCommit(writer, id);
    return { id, body: (await readyReceipt(ledger.certificateClient(undefined, undefined, readAt), id)) as any };
  };

  test.each(['2026-02-23', '2023-01-18-preview'])(
    'at %s an entry gets a LedgerEntryV1 claim whose digest an independent implementation reproduces',
    async (version) => {
      const { id, body } = await writeAndReceipt(`bound at ${version}`, version);
      expect(body.applicationClaims).toEqual([
        {
          kind: 'LedgerEntry',
          ledgerEntry: {
            collectionId: 'claims',
            contents: `bound at ${version}`,
            protocol: 'LedgerEntryV1',
            secretKey: expect.any(String),
          },
        },
      ]);
      expect(Buffer.from(body.applicationClaims[0].ledgerEntry.secretKey, 'base64')).toHaveLength(32);
      const digest = body.receipt.leafComponents.claimsDigest;
      expect(digest).not.toBe(ZEROS);
      expect(await independentClaimsDigest([body.applicationClaims[0].ledgerEntry])).toBe(digest);
      const entry = { collectionId: 'claims', contents: `bound at ${version}` };
      const verified = verifyReceipt(body, { serviceCertificate: ledger.serviceCertificate, transactionId: id, entry });
      expect(verified).toMatchObject({ contentsBound: true, claimsDigest: digest });
      expect(() =>
        verifyReceipt(body, { serviceCertificate: ledger.serviceCertificate, entry: { ...entry, contents: 'something else' } }),
      ).toThrow(expect.objectContaining({ check: 'claims-digest' }));
    },
  );

  test('each entry has its own key', async () => {
    const one = await writeAndReceipt('same', '2026-02-23');
    const two = await writeAndReceipt('same', '2026-02-23');
    expect(one.body.applicationClaims[0].ledgerEntry.secretKey).not.toBe(two.body.applicationClaims[0].ledgerEntry.secretKey);
  });

  test('2022-05-13 writes carry zeros and snake_case receipts; 2024-01-26-preview camelCase without claims', async () => {
    const old = await writeAndReceipt('old', '2022-05-13');
    expect(old.body.applicationClaims).toBeUndefined();
    expect(old.body.receipt.leaf_components.claims_digest).toBe(ZEROS);
    const preview = await writeAndReceipt('preview', '2024-01-26-preview');
    expect(preview.body.applicationClaims).toBeUndefined();
    expect(preview.body.receipt.leafComponents.claimsDigest).toBe(ZEROS);
    const unbound = verifyReceipt(preview.body, {
      serviceCertificate: ledger.serviceCertificate,
      entry: { collectionId: 'claims', contents: 'preview' },
    });
    expect(unbound.contentsBound).toBe(false);
  });

  test('a bound entry read at 2022-05-13 keeps its digest but shows no claims, so it cannot prove its contents', async () => {
    const { body } = await writeAndReceipt('bound, read old', '2026-02-23', '2022-05-13');
    expect(body.applicationClaims).toBeUndefined();
    expect(body.receipt.leaf_components.claims_digest).not.toBe(ZEROS);
    expect(verifyReceipt(body, { serviceCertificate: ledger.serviceCertificate }).contentsBound).toBe(false);
    expect(() =>
      verifyReceipt(body, {
        serviceCertificate: ledger.serviceCertificate,
        entry: { collectionId: 'claims', contents: 'bound, read old' },
      }),
    ).toThrow(ReceiptVerificationError);
  });

  test('refuses unknown or missing api-versions as the service does', async () => {
    const unknown = await rawRequest(ledger, 'GET', '/app/collections?api-version=2099-01-01', { asAdmin: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('QueryParameterError');
    expect(unknown.body.error.message).toMatch(
      /^Parsed api-version 2099-01-01 is not available\. Please use one of the following versions: .*2026-02-23/,
    );
    const missing = await rawRequest(ledger, 'POST', '/app/transactions', {
      asAdmin: true,
      body: '{"contents":"x"}',
      headers: { 'content-type': 'application/json' },
    });
    expect([missing.status, missing.body.error.code]).toEqual([400, 'QueryParameterError']);
    // the identity service is not versioned.
    expect((await rawRequest(ledger, 'GET', `/ledgerIdentity/${ledger.info.ledgerId}`)).status).toBe(200);
  });

  test('keeps claim keys durably: after a restart the same receipt, claims included, verifies', async () => {
    const { id, body } = await writeAndReceipt('durable claim', '2026-02-23');
    const dataDir = join(ledger.info.serviceCertificatePath, '..', '..');
    await ledger.stop();
    const records = readLedgerLog(dataDir).records;
    const record = records.find((r) => r.t === 'w' && r.d === 'durable claim');
    expect(record).toMatchObject({ k: body.applicationClaims[0].ledgerEntry.secretKey });
    const reopened = await startLocalLedger({ dataDir, loadingPolls: 0 });
    try {
      const again = await rawRequest({ ...ledger, info: reopened.info }, 'GET', `/app/transactions/${id}/receipt?api-version=2026-02-23`, {
        asAdmin: true,
      });
      expect(again.body.applicationClaims).toEqual(body.applicationClaims);
      expect(again.body.receipt.leafComponents).toEqual(body.receipt.leafComponents);
    } finally {
      await reopened.stop();
      ledger = await startTestLedger();
    }
  });
});

describe('an old-version-only local ledger', () => {
  test('answers 2022-05-13 and refuses 2026-02-23 with the service error', async () => {
    const old = await startTestLedger({ apiVersions: ['2022-05-13'] });
    try {
      const refused = await old.certificateClient(undefined, undefined, '2026-02-23').path('/app/collections').get();
      expect(refused.status).toBe('400');
      expect((refused.body as any).error).toEqual({
        code: 'QueryParameterError',
        message: 'Parsed api-version 2026-02-23 is not available. Please use one of the following versions: 2022-05-13',
      });
      expect((await old.certificateClient().path('/app/collections').get()).status).toBe('200');
      expect(readFileSync(old.info.serviceCertificatePath, 'utf8')).toBe(old.serviceCertificate);
    } finally {
      await old.stop();
    }
  });
});

test('the CLI refuses an api-version it does not know, naming the flag', () => {
  const root = join(__dirname, '..', '..');
  const result = spawnSync(
    join(root, 'node_modules', '.bin', 'tsx'),
    [join(root, 'local-ledger', 'cli.ts'), '--data', newDataDir(), '--api-versions', '2022-05-13,2099-01-01'],
    {
      encoding: 'utf8',
    },
  );
  expect(result.status).toBe(2);
  expect(result.stderr).toMatch(
    /^ledger:local: --api-versions: 2099-01-01 unknown; known: 2022-05-13, 2023-01-18-preview, 2024-01-26-preview, 2026-02-23/,
  );
});

import { ConfidentialLedgerClient as ArmClient } from '@azure/arm-confidentialledger';
import { paginate } from '@azure-rest/confidential-ledger';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { LocalTokenCredential } from '../../local-ledger/tokens';
import { verifyReceipt } from '../../receipts/verify';
import { rawRequest, readyReceipt, startTestLedger, waitForCommit, type TestLedger } from '../helpers/local-ledger';

const ADMIN_OID = '5c2a9d4e-1f7b-4e3a-8c6d-0b9e2f4a7d11';
const READER_OID = '0d6f2e8a-4b1c-4f9d-a7e3-5c8b2d1f6e31';
const TX_ID = /^2\.\d+$/;

describe('the local ledger through the official SDK', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger({
      pageSize: 3,
      initialUsers: [
        { userId: ADMIN_OID, role: 'Administrator' },
        { userId: READER_OID, role: 'Reader' },
      ],
    });
  });
  afterAll(() => ledger.stop());

  const append = async (contents: string, collectionId?: string) => {
    const response = await ledger
      .certificateClient()
      .path('/app/transactions')
      .post({ body: { contents }, ...(collectionId ? { queryParameters: { collectionId } } : {}) });
    expect(response.status).toBe('200');
    return { id: response.headers['x-ms-ccf-transaction-id'] as string, body: response.body };
  };

  test('serves its identity document with the service certificate', async () => {
    const response = await rawRequest(ledger, 'GET', `/ledgerIdentity/${ledger.info.ledgerId}`);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ledgerId: 'acl-local', ledgerTlsCertificate: ledger.serviceCertificate });
  });

  test('appends, goes Pending → Committed, reads back through Loading, and issues a receipt that verifies', async () => {
    const client = ledger.certificateClient();
    const { id, body } = await append('first entry');
    expect(body).toEqual({ collectionId: 'subledger:0' });
    expect(id).toMatch(TX_ID);
    await waitForCommit(client, id);
    expect((await client.path('/app/transactions/{transactionId}/status', id).get()).body).toEqual({
      state: 'Committed',
      transactionId: id,
    });

    const first = await client.path('/app/transactions/{transactionId}', id).get();
    expect(first.body).toEqual({ state: 'Loading' });
    const second = await client.path('/app/transactions/{transactionId}', id).get();
    expect(second.body).toEqual({ state: 'Ready', entry: { collectionId: 'subledger:0', contents: 'first entry', transactionId: id } });
    expect(second.headers['x-ms-ccf-transaction-id']).toMatch(TX_ID);

    const receipt = await readyReceipt(client, id);
    expect(receipt).toMatchObject({
      state: 'Ready',
      transactionId: id,
      receipt: { is_signature_transaction: false, service_endorsements: [] },
    });
    expect(verifyReceipt(receipt, { serviceCertificate: ledger.serviceCertificate }).transactionId).toBe(id);
  });

  test('returns camelCase receipts for newer api-versions, which verify too', async () => {
    const client = ledger.certificateClient();
    const { id } = await append('camel');
    await waitForCommit(client, id);
    const receipt = await readyReceipt(client, id, '2024-01-26-preview');
    expect(Object.keys(receipt.receipt as object).sort()).toEqual([
      'cert',
      'leafComponents',
      'nodeId',
      'proof',
      'serviceEndorsements',
      'signature',
    ]);
    expect(verifyReceipt(receipt, { serviceCertificate: ledger.serviceCertificate, transactionId: id }).transactionId).toBe(id);
  });

  test('every receipt of many concurrent writes verifies against the pinned certificate', async () => {
    const client = ledger.certificateClient();
    const ids = (await Promise.all(Array.from({ length: 40 }, (_, i) => append(`bulk ${i}`)))).map((w) => w.id);
    expect(new Set(ids).size).toBe(40);
    for (const id of ids) {
      await waitForCommit(client, id);
      expect(
        verifyReceipt(await readyReceipt(client, id), { serviceCertificate: ledger.serviceCertificate, transactionId: id }).transactionId,
      ).toBe(id);
    }
  });

  test('answers 406 UncommittedLedgerEntry for a receipt before commit, and 404 for a future id', async () => {
    const slow = await startTestLedger({ signing: { everyMs: 60_000, everyTransactions: 1_000_000 } });
    try {
      const client = slow.certificateClient();
      const response = await client.path('/app/transactions').post({ body: { contents: 'waiting' } });
      const id = response.headers['x-ms-ccf-transaction-id'] as string;
      expect((await client.path('/app/transactions/{transactionId}/status', id).get()).body).toEqual({
        state: 'Pending',
        transactionId: id,
      });
      const receipt = await client.path('/app/transactions/{transactionId}/receipt', id).get();
      expect(receipt.status).toBe('406');
      expect((receipt.body as any).error.code).toBe('UncommittedLedgerEntry');
      const future = await client.path('/app/transactions/{transactionId}/status', '2.999999').get();
      expect(future.status).toBe('404');
    } finally {
      await slow.stop();
    }
  });

  test('keeps collections apart, serves the current entry of each, and lists them', async () => {
    const client = ledger.certificateClient();
    await append('audit one', 'audit');
    const { id } = await append('audit two', 'audit');
    await waitForCommit(client, id);
    const current = await client.path('/app/transactions/current').get({ queryParameters: { collectionId: 'audit' } });
    expect(current.body).toEqual({ collectionId: 'audit', contents: 'audit two', transactionId: id });
    const wrongCollection = await client.path('/app/transactions/{transactionId}', id).get();
    expect(wrongCollection.status).toBe('404');
    const collections = await client.path('/app/collections').get();
    expect((collections.body as any).collections).toEqual(
      expect.arrayContaining([{ collectionId: 'subledger:0' }, { collectionId: 'audit' }]),
    );
  });

  test('pages ranged reads with a relative nextLink that the SDK follows to the end', async () => {
    const client = ledger.certificateClient();
    const written = [];
    for (let i = 0; i < 7; i++) written.push(await append(`page ${i}`, 'paging'));
    await waitForCommit(client, written.at(-1)!.id);
    const first = await client.path('/app/transactions').get({ queryParameters: { collectionId: 'paging' } });
    expect((first.body as any).entries).toHaveLength(3);
    expect((first.body as any).nextLink).toMatch(
      /^\/app\/transactions\?api-version=2022-05-13&collectionId=paging&fromTransactionId=2\.\d+$/,
    );
    const all = [];
    for await (const entry of paginate(client, first)) all.push(entry);
    expect(all.map((e: any) => e.contents)).toEqual(written.map((_, i) => `page ${i}`));

    const range = await client
      .path('/app/transactions')
      .get({ queryParameters: { collectionId: 'paging', fromTransactionId: written[2].id, toTransactionId: written[4].id } });
    expect((range.body as any).entries.map((e: any) => e.contents)).toEqual(['page 2', 'page 3', 'page 4']);
    expect(range.body).not.toHaveProperty('nextLink');
  });

  test('manages users: get, add with PATCH, change role, delete', async () => {
    const client = ledger.certificateClient();
    const oid = '7a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
    expect((await client.path('/app/users/{userId}', oid).get()).status).toBe('404');
    const created = await client
      .path('/app/users/{userId}', oid)
      .patch({ body: { assignedRole: 'Contributor' }, contentType: 'application/merge-patch+json' });
    expect(created.body).toEqual({ assignedRole: 'Contributor', userId: oid });
    const { id } = await (async () => {
      const r = await ledger
        .tokenClient(oid)
        .path('/app/transactions')
        .post({ body: { contents: 'by a token user' } });
      return { id: r.headers['x-ms-ccf-transaction-id'] as string };
    })();
    expect(id).toMatch(TX_ID);
    await client.path('/app/users/{userId}', oid).patch({ body: { assignedRole: 'Reader' }, contentType: 'application/merge-patch+json' });
    expect((await client.path('/app/users/{userId}', oid).get()).body).toEqual({ assignedRole: 'Reader', userId: oid });
    expect(
      (
        await ledger
          .tokenClient(oid)
          .path('/app/transactions')
          .post({ body: { contents: 'now refused' } })
      ).status,
    ).toBe('403');
    const deleted = await client.path('/app/users/{userId}', oid).delete();
    expect(deleted.status).toBe('204');
    expect((await ledger.tokenClient(oid).path('/app/collections').get()).status).toBe('401');
  });

  test('token users from configuration can read and write according to their role', async () => {
    const admin = ledger.tokenClient(ADMIN_OID);
    const posted = await admin.path('/app/transactions').post({ body: { contents: 'admin via token' } });
    expect(posted.status).toBe('200');
    const reader = ledger.tokenClient(READER_OID);
    expect((await reader.path('/app/collections').get()).status).toBe('200');
    const denied = await reader.path('/app/transactions').post({ body: { contents: 'reader write' } });
    expect(denied.status).toBe('403');
    expect((denied.body as any).error).toEqual({
      code: 'Forbidden',
      message: expect.stringContaining('has the Reader role; this operation needs Contributor'),
    });
    expect((await reader.path('/app/users/{userId}', ADMIN_OID).get()).status).toBe('403');
  });

  test('serves enclave quotes and governance documents that say the node is virtual', async () => {
    const client = ledger.certificateClient();
    const quotes = (await client.path('/app/enclaveQuotes').get()).body as any;
    expect(quotes.enclaveQuotes[quotes.currentNodeId]).toMatchObject({ nodeId: quotes.currentNodeId, quoteVersion: 'Insecure_Virtual' });
    const constitution = (await client.path('/app/governance/constitution').get()).body as any;
    expect(constitution.script).toContain('virtual node');
    expect(constitution.digest).toMatch(/^[0-9a-f]{64}$/);
    expect((await client.path('/app/governance/members').get()).body).toEqual({ members: [] });
  });

  test('answers the ARM read of the ledger resource for @azure/arm-confidentialledger', async () => {
    const credential = new LocalTokenCredential(createPrivateKey(readFileSync(ledger.info.tokenIssuerKeyPath, 'utf8')), { oid: ADMIN_OID });
    const arm = new ArmClient(credential, '3f1c7e2a-5b0d-4c8e-9a61-2d7f4b8e1c01', {
      endpoint: ledger.info.ledgerEndpoint,
      tlsOptions: { ca: ledger.serviceCertificate },
      retryOptions: { maxRetries: 0 },
    });
    const resource = await arm.ledger.get('rg-local', 'acl-local');
    expect(resource.properties).toMatchObject({
      ledgerUri: ledger.info.ledgerEndpoint,
      identityServiceUri: ledger.info.identityServiceUrl,
      provisioningState: 'Succeeded',
      runningState: 'Active',
      ledgerType: 'Private',
    });
    await expect(arm.ledger.get('rg-local', 'another-ledger')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
  });
});

import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mintToken } from '../../local-ledger/tokens';
import { createClientCertificate } from '../../local-ledger/identity';
import { DEFAULT_LIMITS } from '../../local-ledger';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawRequest, startTestLedger, type TestLedger } from '../helpers/local-ledger';

const API = '?api-version=2022-05-13';
const CONTRIBUTOR_OID = '9e4b1c7d-2a5f-4d8e-b3c6-7f0a1e2d3c21';
const READER_OID = '0d6f2e8a-4b1c-4f9d-a7e3-5c8b2d1f6e31';

describe('local ledger access control', () => {
  let ledger: TestLedger;
  let stranger: { cert: string; key: string };
  beforeAll(async () => {
    ledger = await startTestLedger({
      initialUsers: [
        { userId: CONTRIBUTOR_OID, role: 'Contributor' },
        { userId: READER_OID, role: 'Reader' },
      ],
    });
    const created = await createClientCertificate('stranger');
    const dir = mkdtempSync(join(tmpdir(), 'acl-stranger-'));
    stranger = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
    writeFileSync(stranger.cert, created.certificatePem);
    writeFileSync(stranger.key, created.keyPem);
  });
  afterAll(() => ledger.stop());

  const post = (client: ReturnType<TestLedger['tokenClient']>) => client.path('/app/transactions').post({ body: { contents: 'x' } });

  test('401 without any identity', async () => {
    const response = await rawRequest(ledger, 'GET', `/app/collections${API}`);
    expect(response.status).toBe(401);
    expect(response.body.error.code).toBe('Unauthorized');
    expect(response.headers['www-authenticate']).toBe('Bearer');
    expect(response.headers['x-ms-ccf-transaction-id']).toMatch(/^2\.\d+$/);
  });

  test('401 for a client certificate that is not a user', async () => {
    const response = await ledger.certificateClient(stranger.cert, stranger.key).path('/app/collections').get();
    expect(response.status).toBe('401');
    expect((response.body as any).error.message).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2} is not a user of this ledger\.$/);
  });

  test('401 for a token signed by another issuer', async () => {
    const otherKey = createPrivateKey(
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }),
    );
    const token = await mintToken(otherKey, { oid: CONTRIBUTOR_OID });
    const response = await rawRequest(ledger, 'GET', `/app/collections${API}`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(401);
    expect(response.body.error.message).toMatch(/^The bearer token is invalid/);
  });

  test('401 for a token meant for another audience', async () => {
    const key = createPrivateKey(readFileSync(ledger.info.tokenIssuerKeyPath, 'utf8'));
    const token = await mintToken(key, { oid: CONTRIBUTOR_OID }, 'https://management.azure.com');
    expect((await rawRequest(ledger, 'GET', `/app/collections${API}`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  test.each<[string, string, 'reader' | 'contributor' | 'admin', number]>([
    ['GET', '/app/collections', 'reader', 200],
    ['POST', '/app/transactions', 'reader', 403],
    ['POST', '/app/transactions', 'contributor', 200],
    ['GET', `/app/users/${READER_OID}`, 'contributor', 403],
    ['GET', `/app/users/${READER_OID}`, 'admin', 200],
    ['DELETE', '/app/users/7a1b2c3d-0000-4a6b-8c7d-9e0f1a2b3c4d', 'contributor', 403],
  ])('%s %s as %s answers %d', async (method, path, who, status) => {
    const key = createPrivateKey(readFileSync(ledger.info.tokenIssuerKeyPath, 'utf8'));
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (who !== 'admin') headers.authorization = `Bearer ${await mintToken(key, { oid: who === 'reader' ? READER_OID : CONTRIBUTOR_OID })}`;
    const response = await rawRequest(ledger, method, `${path}${API}`, {
      headers,
      body: method === 'POST' ? '{"contents":"x"}' : undefined,
      asAdmin: who === 'admin',
    });
    expect(response.status).toBe(status);
    if (status === 403) expect(response.body.error.code).toBe('Forbidden');
  });

  test('a token client can write as a Contributor', async () => {
    expect((await post(ledger.tokenClient(CONTRIBUTOR_OID))).status).toBe('200');
  });
});

/** The real service's limits (Azure confidential ledger data-plane docs: "EntrySizeCapacityExceeded
 * (contents over 8 KiB = 8,192 bytes), CollectionIdTooLong (collection id over 256 bytes),
 * CollectionCapacityExceeded (over 5,000 collections)"), the local ledger's defaults. */
const SERVICE_LIMITS = { maxEntryBytes: 8192, maxCollectionIdBytes: 256, maxCollections: 5000 };
/** Small limits injected so the tests reach each one in a few requests. */
const SMALL_LIMITS = { maxEntryBytes: 64, maxCollectionIdBytes: 16, maxCollections: 3 };

describe('local ledger default limits', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger();
  });
  afterAll(() => ledger.stop());

  test('are the documented service limits, and a ledger started without limits applies them', async () => {
    expect(DEFAULT_LIMITS).toEqual(SERVICE_LIMITS);
    const write = (contents: string) =>
      rawRequest(ledger, 'POST', `/app/transactions${API}`, {
        body: JSON.stringify({ contents }),
        headers: { 'content-type': 'application/json' },
        asAdmin: true,
      });
    expect((await write('a'.repeat(8192))).status).toBe(200);
    expect((await write('a'.repeat(8193))).body.error.code).toBe('EntrySizeCapacityExceeded');
  });
});

describe('local ledger limits and malformed requests', () => {
  let ledger: TestLedger;
  beforeAll(async () => {
    ledger = await startTestLedger({ limits: SMALL_LIMITS });
  });
  afterAll(() => ledger.stop());

  const write = (body: string, query = '', contentType = 'application/json') =>
    rawRequest(ledger, 'POST', `/app/transactions${API}${query}`, { body, headers: { 'content-type': contentType }, asAdmin: true });

  test('accepts contents at the entry limit and refuses one byte more with EntrySizeCapacityExceeded', async () => {
    expect((await write(JSON.stringify({ contents: 'a'.repeat(64) }))).status).toBe(200);
    const over = await write(JSON.stringify({ contents: 'a'.repeat(65) }));
    expect(over.status).toBe(400);
    expect(over.body.error.code).toBe('EntrySizeCapacityExceeded');
    expect(over.body.error.message).toBe('The entry is larger than 64 bytes.');
  });

  test('counts contents in UTF-8 bytes', async () => {
    const over = await write(JSON.stringify({ contents: 'é'.repeat(33) }));
    expect(over.body.error.code).toBe('EntrySizeCapacityExceeded');
  });

  test('refuses a collection id over the limit with CollectionIdTooLong', async () => {
    expect((await write('{"contents":"x"}', `&collectionId=${'c'.repeat(16)}`)).status).toBe(200);
    const over = await write('{"contents":"x"}', `&collectionId=${'c'.repeat(17)}`);
    expect(over.status).toBe(400);
    expect(over.body.error.code).toBe('CollectionIdTooLong');
  });

  test('refuses one collection past the limit with CollectionCapacityExceeded, and still writes to existing ones', async () => {
    const existing = (await rawRequest(ledger, 'GET', `/app/collections${API}`, { asAdmin: true })).body.collections.length;
    const client = ledger.certificateClient();
    const fill = Array.from({ length: SMALL_LIMITS.maxCollections - existing }, (_, i) =>
      client.path('/app/transactions').post({ body: { contents: 'x' }, queryParameters: { collectionId: `col-${i}` } }),
    );
    expect((await Promise.all(fill)).map((r) => r.status)).toEqual(fill.map(() => '200'));
    const over = await write('{"contents":"x"}', '&collectionId=one-too-many');
    expect(over.status).toBe(400);
    expect(over.body.error.code).toBe('CollectionCapacityExceeded');
    expect(over.body.error.message).toBe('The ledger already holds 3 collections.');
    expect((await write('{"contents":"still fine"}', '&collectionId=col-0')).status).toBe(200);
  });

  test.each([
    ['malformed JSON', '{"contents": ', 'application/json', 'InvalidJson'],
    ['contents that is not a string', '{"contents": 42}', 'application/json', 'InvalidRequestBody'],
    ['a body without contents', '{}', 'application/json', 'InvalidRequestBody'],
    ['a wrong content type', '{"contents":"x"}', 'text/plain', 'UnsupportedContentType'],
  ])('answers 400 for %s', async (_, body, contentType, code) => {
    const response = await write(body, '', contentType);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe(code);
  });

  test('answers 413 for a body far beyond any entry', async () => {
    const response = await write(JSON.stringify({ contents: 'a'.repeat(200_000) }));
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('PayloadTooLarge');
  });

  test('answers 404 for unknown routes and 405 for a wrong method', async () => {
    const unknown = await rawRequest(ledger, 'GET', `/app/nothing${API}`, { asAdmin: true });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NotFound');
    const wrongMethod = await rawRequest(ledger, 'PUT', `/app/transactions${API}`, { asAdmin: true });
    expect(wrongMethod.status).toBe(405);
  });

  test('answers 400 for a malformed transaction id', async () => {
    const response = await rawRequest(ledger, 'GET', `/app/transactions/not-an-id/status${API}`, { asAdmin: true });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('InvalidTransactionId');
  });

  test('accepts a repeated api-version, as the SDK pager sends it, and echoes the client request id', async () => {
    const response = await rawRequest(ledger, 'GET', `/app/collections${API}&api-version=2022-05-13`, {
      asAdmin: true,
      headers: { 'x-ms-client-request-id': 'abc-123' },
    });
    expect(response.status).toBe(200);
    expect(response.headers['x-ms-client-request-id']).toBe('abc-123');
    expect(response.headers['content-type']).toBe('application/json');
  });
});

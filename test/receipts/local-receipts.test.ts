import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto } from 'node:crypto';
import { ReceiptVerificationError, verifyReceipt } from '../../receipts/verify';
import { alter, leafPaths, mutate } from '../helpers/vectors';
import { readyReceipt, startTestLedger, waitForCommit, type TestLedger } from '../helpers/local-ledger';

const failedCheck = (run: () => unknown): string => {
  try {
    run();
    return 'none (accepted)';
  } catch (error) {
    if (error instanceof ReceiptVerificationError) return error.check;
    throw error;
  }
};

describe('receipts issued by the local ledger', () => {
  let ledger: TestLedger;
  let other: TestLedger;
  let receipt: Record<string, any>;
  let camel: Record<string, any>;
  let otherReceipt: Record<string, any>;
  beforeAll(async () => {
    ledger = await startTestLedger();
    other = await startTestLedger();
    const get = async (l: TestLedger, apiVersion?: string) => {
      const client = l.certificateClient();
      const response = await client.path('/app/transactions').post({ body: { contents: 'mutate me' } });
      const id = response.headers['x-ms-ccf-transaction-id'] as string;
      await waitForCommit(client, id);
      return readyReceipt(client, id, apiVersion);
    };
    receipt = await get(ledger);
    camel = await get(ledger, '2024-01-26-preview');
    otherReceipt = await get(other);
  });
  afterAll(async () => {
    await ledger.stop();
    await other.stop();
  });

  test('verify in both spellings', () => {
    expect(failedCheck(() => verifyReceipt(receipt, { serviceCertificate: ledger.serviceCertificate }))).toBe('none (accepted)');
    expect(failedCheck(() => verifyReceipt(camel, { serviceCertificate: ledger.serviceCertificate }))).toBe('none (accepted)');
  });

  test.each(['snake', 'camel'])('reject a change to any field (%s case)', (spelling) => {
    const body = spelling === 'snake' ? receipt : camel;
    const paths = leafPaths(body);
    expect(paths.length).toBeGreaterThan(8);
    for (const path of paths) {
      const changed = mutate(body, path, alter);
      expect([path.join('.'), failedCheck(() => verifyReceipt(changed, { serviceCertificate: ledger.serviceCertificate }))]).not.toEqual([
        path.join('.'),
        'none (accepted)',
      ]);
    }
  });

  test('reject another ledger’s service certificate', () => {
    expect(failedCheck(() => verifyReceipt(receipt, { serviceCertificate: other.serviceCertificate }))).toBe('endorsement');
  });

  test('reject a signature made by another node', () => {
    const forged = mutate(receipt, ['receipt', 'signature'], () => otherReceipt.receipt.signature);
    expect(failedCheck(() => verifyReceipt(forged, { serviceCertificate: ledger.serviceCertificate }))).toBe('signature');
  });

  test('reject another node’s certificate, even with its own signature and node id', () => {
    const swapped = mutate(
      mutate(receipt, ['receipt', 'cert'], () => otherReceipt.receipt.cert),
      ['receipt', 'node_id'],
      () => otherReceipt.receipt.node_id,
    );
    expect(failedCheck(() => verifyReceipt(swapped, { serviceCertificate: ledger.serviceCertificate }))).toBe('endorsement');
  });

  test('reject a swapped or truncated proof', () => {
    const proof = receipt.receipt.proof as unknown[];
    expect(proof.length).toBeGreaterThanOrEqual(1);
    const swapped = mutate(receipt, ['receipt', 'proof'], (p: any[]) =>
      p.map((step) => ('left' in step ? { right: step.left } : { left: step.right })),
    );
    expect(failedCheck(() => verifyReceipt(swapped, { serviceCertificate: ledger.serviceCertificate }))).toBe('signature');
    const truncated = mutate(receipt, ['receipt', 'proof'], (p: unknown[]) => p.slice(0, -1));
    expect(failedCheck(() => verifyReceipt(truncated, { serviceCertificate: ledger.serviceCertificate }))).toBe('signature');
  });

  test('reject a node certificate with a non-EC (RSA) key, even when the service endorsed it', async () => {
    x509.cryptoProvider.set(webcrypto as never);
    const rsa = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
    const keys = (await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const certificate = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomBytes(8).toString('hex'),
      name: 'CN=CCF Node',
      keys,
      signingAlgorithm: rsa,
    });
    const pem = certificate.toString('pem');
    const rsaReceipt = mutate(receipt, ['receipt', 'cert'], () => pem);
    expect(failedCheck(() => verifyReceipt(rsaReceipt, { serviceCertificate: pem }))).toBe('node-certificate');
  });
});

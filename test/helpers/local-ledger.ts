import ConfidentialLedger, { type ConfidentialLedgerClient } from '@azure-rest/confidential-ledger';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalLedger, type LocalLedgerOptions, type RunningLedger } from '../../local-ledger';
import { LocalTokenCredential } from '../../local-ledger/tokens';

export const newDataDir = (): string => mkdtempSync(join(tmpdir(), 'acl-ledger-'));

export interface TestLedger extends RunningLedger {
  readonly serviceCertificate: string;
  /** an SDK client authenticated with a client certificate (the generated administrator by default). */
  certificateClient(certificatePath?: string, keyPath?: string, apiVersion?: string): ConfidentialLedgerClient;
  /** an SDK client authenticated with a bearer token for an Entra object id. */
  tokenClient(objectId: string): ConfidentialLedgerClient;
}

export async function startTestLedger(options: Partial<LocalLedgerOptions> = {}): Promise<TestLedger> {
  const running = await startLocalLedger({ dataDir: newDataDir(), ...options });
  const serviceCertificate = readFileSync(running.info.serviceCertificatePath, 'utf8');
  return {
    ...running,
    serviceCertificate,
    certificateClient: (certificatePath = running.info.adminCertificatePath, keyPath = running.info.adminKeyPath, apiVersion?: string) =>
      ConfidentialLedger(running.info.ledgerEndpoint, serviceCertificate, {
        tlsOptions: { cert: readFileSync(certificatePath, 'utf8'), key: readFileSync(keyPath, 'utf8') },
        retryOptions: { maxRetries: 0 },
        apiVersion,
      }),
    tokenClient: (objectId: string) =>
      ConfidentialLedger(
        running.info.ledgerEndpoint,
        serviceCertificate,
        new LocalTokenCredential(createPrivateKey(readFileSync(running.info.tokenIssuerKeyPath, 'utf8')), { oid: objectId }),
        { retryOptions: { maxRetries: 0 } },
      ),
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any;
}

/** A bare HTTPS request, for what the SDK would never send (bad bodies, no credentials). */
export function rawRequest(
  ledger: TestLedger,
  method: string,
  path: string,
  options: { body?: string | Buffer; headers?: Record<string, string>; asAdmin?: boolean } = {},
): Promise<RawResponse> {
  const url = new URL(path, ledger.info.ledgerEndpoint);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: ledger.serviceCertificate,
        ...(options.asAdmin ? { cert: readFileSync(ledger.info.adminCertificatePath), key: readFileSync(ledger.info.adminKeyPath) } : {}),
        headers: options.headers,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : undefined });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Polls until a transaction is Committed (bounded), as a careful client does. */
export async function waitForCommit(client: ConfidentialLedgerClient, transactionId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const status = await client.path('/app/transactions/{transactionId}/status', transactionId).get();
    if ((status.body as { state?: string }).state === 'Committed') return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${transactionId} did not commit`);
}

/** Fetches a receipt, polling through Loading. */
export async function readyReceipt(
  client: ConfidentialLedgerClient,
  transactionId: string,
  apiVersion?: string,
): Promise<Record<string, unknown>> {
  for (let i = 0; i < 50; i++) {
    const response = await client
      .path('/app/transactions/{transactionId}/receipt', transactionId)
      .get(apiVersion ? { queryParameters: { 'api-version': apiVersion } } : {});
    if (response.status !== '200') throw new Error(`receipt answered ${response.status}: ${JSON.stringify(response.body)}`);
    if ((response.body as { state?: string }).state === 'Ready') return response.body as Record<string, unknown>;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`no receipt for ${transactionId}`);
}

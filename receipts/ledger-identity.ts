import { request } from 'node:https';

/** The public identity service that serves every Azure ledger's identity certificate. */
export const AZURE_IDENTITY_SERVICE = 'https://identity.confidential-ledger.core.azure.com';

/** `<identity service>/ledgerIdentity/<ledger>`. */
export const identityUrl = (ledgerId: string, service = AZURE_IDENTITY_SERVICE): string =>
  `${service.replace(/\/$/, '')}/ledgerIdentity/${encodeURIComponent(ledgerId)}`;

/**
 * Fetches a ledger's identity (service) certificate, PEM, from an identity document URL. Trusts the
 * system's CAs, plus `ca` when given (a local ledger's own). The SDK's `getLedgerIdentity` cannot be
 * given a CA, hence this. Rejects with the status or transport error in the message.
 */
export function fetchLedgerIdentity(url: string, ca?: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let certificate: unknown;
        try {
          certificate = JSON.parse(text).ledgerTlsCertificate;
        } catch {
          certificate = undefined;
        }
        if (res.statusCode === 200 && typeof certificate === 'string') resolve(certificate);
        else reject(new Error(`the identity service answered ${res.statusCode}: ${text.slice(0, 200)}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', (error) => reject(new Error(`cannot reach ${url}: ${error.message}`)));
    req.end();
  });
}

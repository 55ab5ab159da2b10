import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { LedgerRole } from '../vocabulary';
import type { LocalLedgerInfo } from './index';

/** Sets a user's role through a running ledger's own API, as its generated administrator. */
export function setUserRole(info: LocalLedgerInfo, userId: string, role: LedgerRole): Promise<void> {
  const url = new URL(`/app/users/${encodeURIComponent(userId)}?api-version=2022-05-13`, info.ledgerEndpoint);
  const body = JSON.stringify({ assignedRole: role });
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'PATCH',
        ca: readFileSync(info.serviceCertificatePath),
        cert: readFileSync(info.adminCertificatePath),
        key: readFileSync(info.adminKeyPath),
        headers: { 'content-type': 'application/merge-patch+json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`the ledger answered ${res.statusCode} to PATCH ${url.pathname}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

import { HttpError, route, type Route } from './http';
import type { LedgerIdentity } from './identity';

/** The identity service: the ledger's service certificate, which clients pin before they trust it. */
export function identityServiceRoutes(identity: LedgerIdentity): Route[] {
  return [
    route('GET', '/ledgerIdentity/([^/]+)', 'none', async (_, [ledgerId]) => {
      if (ledgerId !== identity.ledgerId) throw new HttpError(404, 'LedgerNotFound', `No ledger named ${ledgerId}.`);
      return { body: { ledgerId, ledgerTlsCertificate: identity.serviceCertificatePem } };
    }),
  ];
}

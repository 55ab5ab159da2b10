import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { HttpError, type Access } from './http';
import { accessRefusal, type LocalLedger } from './ledger';
import { ARM_AUDIENCE, LEDGER_AUDIENCE, verifyToken } from './tokens';

/**
 * Who is calling: a bearer token signed by the ledger's token issuer, or a client certificate
 * whose fingerprint is a ledger user; and whether its role is enough for the route.
 */
export class Authenticator {
  private readonly peerFingerprints = new WeakMap<TLSSocket, string | undefined>();

  /** `endpoint`: the ledger's own URL, an audience ARM clients pointed at it ask tokens for. */
  constructor(
    private readonly ledger: LocalLedger,
    private readonly endpoint: () => string,
  ) {}

  /** Maps the caller to a ledger user (client certificate or bearer token), checks its role and returns its id. */
  async authorize(req: IncomingMessage, access: Access): Promise<string | undefined> {
    if (access === 'none') return undefined;
    const authorization = req.headers.authorization;
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    if (access === 'arm') {
      if (!bearer) throw new HttpError(401, 'AuthenticationFailed', 'Authentication failed. The Authorization header is missing.');
      // ARM clients pointed at another endpoint ask for a token scoped to that endpoint.
      await verifyToken(this.ledger.identity.tokenIssuerKey, bearer, [ARM_AUDIENCE, this.endpoint()]).catch((e: Error) => {
        throw new HttpError(401, 'InvalidAuthenticationToken', `The access token is invalid: ${e.message}`);
      });
      return undefined;
    }
    let userId: string | undefined;
    if (bearer) {
      userId = await verifyToken(this.ledger.identity.tokenIssuerKey, bearer, LEDGER_AUDIENCE).catch((e: Error) => {
        throw new HttpError(401, 'Unauthorized', `The bearer token is invalid: ${e.message}`);
      });
    } else {
      userId = this.certificateUser(req.socket as TLSSocket);
    }
    if (!userId) throw new HttpError(401, 'Unauthorized', 'No bearer token or client certificate was presented.');
    const refusal = accessRefusal({ userId, needs: access }, this.ledger.role(userId));
    if (refusal) throw refusal;
    return userId;
  }

  /** The fingerprint of a connection's client certificate, read once per connection (it is costly). */
  private certificateUser(socket: TLSSocket): string | undefined {
    if (!this.peerFingerprints.has(socket)) {
      const certificate = socket.getPeerCertificate?.();
      this.peerFingerprints.set(socket, certificate?.fingerprint256 || undefined);
    }
    return this.peerFingerprints.get(socket);
  }
}

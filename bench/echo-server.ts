/**
 * The baseline the ledger's write rate is measured against: a bare HTTPS server on the same TLS
 * key, certificate and client-certificate request as the ledger, that reads each request body and
 * answers in the ledger's shape without storing, signing or syncing anything. Every write is
 * "Committed" at once. Run as its own process, like the ledger; prints one JSON line when it serves.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { identityPaths } from '../local-ledger';
import { exitCode } from '../scripts/cli/exit-codes';

const dataDir = process.argv[2];
const paths = identityPaths(dataDir);
let seqno = 0;
const server = createServer(
  { key: readFileSync(paths.nodeKey), cert: readFileSync(paths.nodeCertificate), requestCert: true, rejectUnauthorized: false },
  (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method === 'POST') JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const id = req.method === 'POST' ? ++seqno : seqno;
      const body = req.method === 'POST' ? '{"collectionId":"subledger:0"}' : `{"state":"Committed","transactionId":"2.${id}"}`;
      res.writeHead(200, { 'content-type': 'application/json', 'x-ms-ccf-transaction-id': `2.${id}` }).end(body);
    });
  },
);
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ ledgerEndpoint: `https://127.0.0.1:${(server.address() as AddressInfo).port}` }));
});
process.once('SIGTERM', () => server.close(() => process.exit(exitCode('ok'))));

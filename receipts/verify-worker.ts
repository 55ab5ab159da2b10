/** A {@link VerifierPool} worker: verifies the chunks it is sent, keeping its caches between them. */
import { parentPort, workerData } from 'node:worker_threads';
import { ReceiptBatchVerifier, type BulkItem } from './bulk-verify';

const verifier = new ReceiptBatchVerifier((workerData as { serviceCertificate: string }).serviceCertificate);
parentPort!.on('message', (items: BulkItem[]) => parentPort!.postMessage(verifier.verify(items)));

import { runSmoke, type SmokeOptions, type SmokeResult } from '../smoke/run-smoke';
import { connectEnvironment, type ConnectOptions } from '../smoke/targets';

/** The kinds of attestation this project records in a ledger, with their schema and collection. */
export const ATTESTATIONS = {
  deployment: { schema: 'acl-stack/deployment/v1', collectionId: 'acl-stack-deployments' },
  promotion: { schema: 'acl-stack/promotion/v2', collectionId: 'acl-stack-promotions' },
} as const;
export type AttestationKind = keyof typeof ATTESTATIONS;

export interface AttestationOptions extends ConnectOptions, Pick<SmokeOptions, 'runId' | 'commit' | 'stackSha256' | 'report'> {
  readonly environment: string;
  readonly evidenceDir: string;
  readonly kind: AttestationKind;
  /** what the attestation says, besides its schema, run id, commit and time. */
  readonly claims: Record<string, unknown>;
}

/**
 * Records an attestation entry in an environment's ledger and keeps its verified receipt, with the
 * same steps and guarantees as the smoke test (pinned identity, idempotent append, verified
 * receipt), in `<evidence>/<environment>/<kind>-<runId>/`.
 */
export async function recordAttestation(options: AttestationOptions): Promise<SmokeResult> {
  const { schema, collectionId } = ATTESTATIONS[options.kind];
  const connection = await connectEnvironment(options.environment, options);
  try {
    return await runSmoke({
      kind: options.kind,
      environment: options.environment,
      runId: options.runId,
      commit: options.commit,
      stackSha256: options.stackSha256,
      evidenceRoot: options.evidenceDir,
      evidenceName: `${options.kind}-${options.runId}`,
      report: options.report,
      resolveTarget: connection.resolveTarget,
      credential: connection.credential,
      entry: {
        collectionId,
        contents: JSON.stringify({
          schema,
          ...options.claims,
          runId: options.runId,
          commit: options.commit,
          stackSha256: options.stackSha256,
          time: new Date().toISOString(),
        }),
      },
    });
  } finally {
    await connection.stop();
  }
}

/*
 * The entries the smoke test writes: their schemas and collections. The evidence gate and the
 * audit read them back by these names, so they change only with a new schema version.
 */

export const SMOKE_SCHEMA = 'acl-stack/smoke/v1';
export const SMOKE_COLLECTION = 'acl-stack-smoke';
/** What a reader is asked to write to prove it cannot (role separation); never recorded. */
export const PROBE_SCHEMA = 'acl-stack/smoke-probe/v1';
export const PROBE_COLLECTION = `${SMOKE_COLLECTION}-probe`;

export interface SmokeEntryFields {
  readonly environment: string;
  readonly runId: string;
  readonly commit: string;
  readonly stackSha256: string | null;
}

/** The `acl-stack/smoke/v1` entry of one run; its `runId` makes the append idempotent. */
export function smokeEntry(fields: SmokeEntryFields): { collectionId: string; contents: string } {
  return {
    collectionId: SMOKE_COLLECTION,
    contents: JSON.stringify({
      schema: SMOKE_SCHEMA,
      environment: fields.environment,
      runId: fields.runId,
      commit: fields.commit,
      time: new Date().toISOString(),
      stackSha256: fields.stackSha256,
    }),
  };
}

/** The write a reader must be refused. */
export function readerProbe(runId: string): string {
  return JSON.stringify({ schema: PROBE_SCHEMA, note: 'a reader must never be able to write this', runId });
}

/** An entry's contents as the JSON object this project writes; undefined for anything else. */
export function parseEntryContents(text: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

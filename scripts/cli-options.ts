import type { ParseArgsConfig } from 'node:util';
import { defaultCommit, defaultRunId } from './smoke/run-metadata';
import type { ConnectOptions } from './smoke/targets';

/** Options shared by smoke, attest and promote. */
export const COMMON_OPTIONS = {
  'environments-dir': { type: 'string', default: process.env.ACL_ENVIRONMENTS_DIR ?? 'environments' },
  'evidence-dir': { type: 'string', default: 'evidence' },
  'run-id': { type: 'string' },
  commit: { type: 'string' },
  'cdktf-out': { type: 'string', default: 'cdktf.out' },
  'local-data': { type: 'string' },
  'client-cert': { type: 'string' },
  'client-key': { type: 'string' },
} as const satisfies ParseArgsConfig['options'];

export const COMMON_USAGE =
  '[--environments-dir environments] [--evidence-dir evidence] [--run-id <id>] [--commit <sha>] [--cdktf-out cdktf.out]\n' +
  '  [--local-data <dir>: a local ledger standing in for the environment] [--client-cert <pem> --client-key <pem>]';

type CommonValues = { [K in keyof typeof COMMON_OPTIONS]?: string };

export interface CommonSettings extends ConnectOptions {
  readonly evidenceDir: string;
  readonly runId: string;
  readonly commit: string;
  readonly cdktfOut: string;
}

/** Checks and completes the shared options; throws with the option's name on bad input. */
export function commonSettings(values: CommonValues): CommonSettings {
  const runId = values['run-id'] ?? defaultRunId();
  if (!/^[\w.-]{1,100}$/.test(runId)) throw new Error(`--run-id '${runId}' may hold only letters, digits, '.', '_' and '-'`);
  if (Boolean(values['client-cert']) !== Boolean(values['client-key'])) throw new Error('--client-cert and --client-key go together');
  return {
    environmentsDir: values['environments-dir']!,
    evidenceDir: values['evidence-dir']!,
    runId,
    commit: values.commit ?? defaultCommit(),
    cdktfOut: values['cdktf-out']!,
    localData: values['local-data'],
    clientCert: values['client-cert'],
    clientKey: values['client-key'],
  };
}

export function environmentName(option: string, value: string | undefined): string {
  if (!value) throw new Error(`--${option} is required`);
  if (!/^[a-z][a-z0-9-]{0,19}$/.test(value)) throw new Error(`--${option} '${value}' is not an environment name`);
  return value;
}

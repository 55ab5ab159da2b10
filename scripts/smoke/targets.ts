import { ConfidentialLedgerClient as ArmClient } from '@azure/arm-confidentialledger';
import type { TokenCredential } from '@azure/core-auth';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultAzureCredential } from '@azure/identity';
import { loadEnvironmentFile } from '../../stacks/environment-config';
import { identityUrl } from '../../receipts/ledger-identity';
import { localTokenCredential, runningLedgerInfo, setUserRole, startLocalLedger, type LocalLedgerInfo } from '../../local-ledger';
import type { LedgerCredential, SmokeTarget } from './protocol';
import { StepFailure } from './steps';

/**
 * Reads the ledger resource from Azure Resource Manager and checks it is ready: provisioning
 * Succeeded and, where the API reports it, running state Active.
 */
export async function resolveFromArm(arm: ArmClient, resourceGroup: string, name: string, identityCa?: string): Promise<SmokeTarget> {
  let resource;
  try {
    resource = await arm.ledger.get(resourceGroup, name);
  } catch (error) {
    const status = (error as { statusCode?: number }).statusCode;
    throw new StepFailure(
      'resolve',
      `ARM lookup of ledger '${name}' in resource group '${resourceGroup}' failed: ${(error as Error).message}`,
      status === 404
        ? 'that the stack was deployed to this subscription (npx cdktf deploy) and the names in the environment file'
        : status === 401 || status === 403
          ? 'that the pipeline identity has at least Reader (Azure RBAC) on the ledger or its resource group'
          : 'network access to Azure Resource Manager and the credential',
    );
  }
  const properties = (resource.properties ?? {}) as Record<string, unknown>;
  if (properties.provisioningState !== 'Succeeded') {
    throw new StepFailure(
      'resolve',
      `ledger '${name}' is in provisioning state ${String(properties.provisioningState)}`,
      'the deployment; wait for it to finish',
    );
  }
  // api-version 2022-05-13 does not report runningState; newer ones do.
  if (properties.runningState !== undefined && properties.runningState !== 'Active') {
    throw new StepFailure(
      'resolve',
      `ledger '${name}' is ${String(properties.runningState)}, not Active`,
      'whether the ledger was paused; resume it before verifying',
    );
  }
  if (typeof properties.ledgerUri !== 'string' || typeof properties.identityServiceUri !== 'string') {
    throw new StepFailure('resolve', `ledger '${name}' reports no ledgerUri or identityServiceUri`, 'the resource in the Azure portal');
  }
  // ARM reports either the identity document's URL or the identity service's base URL.
  const documentUrl = properties.identityServiceUri.includes('/ledgerIdentity/')
    ? properties.identityServiceUri
    : identityUrl(name, properties.identityServiceUri);
  return { ledgerId: name, ledgerEndpoint: properties.ledgerUri, identityUrl: documentUrl, identityCa };
}

/** Fixed identities the local smoke test acts as: a pipeline (Contributor) and an auditor (Reader). */
export const LOCAL_PIPELINE_OBJECT_ID = '00000000-0000-4000-8000-000000a11ce0';
export const LOCAL_READER_OBJECT_ID = '00000000-0000-4000-8000-0000000b0b00';

export interface LocalSmokeSetup {
  readonly info: LocalLedgerInfo;
  readonly resolveTarget: () => Promise<SmokeTarget>;
  readonly credential: LedgerCredential;
  readonly reader: LedgerCredential;
  /** stops the ledger if this setup started it. */
  stop(): Promise<void>;
}

/**
 * Uses the local ledger running on `dataDir`, or starts one, and makes sure the pipeline and
 * reader identities hold their roles. The target is then found through the ARM stand-in, exactly
 * as an Azure environment is. Given client certificates, the run acts as them instead of those
 * identities, as against Azure, so a certificate the ledger does not know (401) or whose role is
 * too weak (403) can be rehearsed locally.
 */
export async function prepareLocalSmoke(dataDir: string, certificates: ClientCertificates = {}): Promise<LocalSmokeSetup> {
  const running = runningLedgerInfo(dataDir);
  const started = running ? undefined : await startLocalLedger({ dataDir });
  const info = running ?? started!.info;
  if (started) {
    await started.ledger.setUser(LOCAL_PIPELINE_OBJECT_ID, 'Contributor');
    await started.ledger.setUser(LOCAL_READER_OBJECT_ID, 'Reader');
  } else {
    await setUserRole(info, LOCAL_PIPELINE_OBJECT_ID, 'Contributor');
    await setUserRole(info, LOCAL_READER_OBJECT_ID, 'Reader');
  }
  const serviceCertificate = readFileSync(info.serviceCertificatePath, 'utf8');
  const given = certificateCredentials(certificates);
  const tokens = (oid: string): TokenCredential => localTokenCredential(info, oid);
  return {
    info,
    // found through ARM like an Azure ledger, but labelled a stand-in wherever its evidence shows.
    resolveTarget: async () => ({
      ...(await resolveFromArm(
        new ArmClient(tokens(LOCAL_PIPELINE_OBJECT_ID), '00000000-0000-0000-0000-000000000000', {
          endpoint: info.ledgerEndpoint,
          tlsOptions: { ca: serviceCertificate },
          retryOptions: { maxRetries: 0 },
        }),
        'local',
        info.ledgerId,
        serviceCertificate,
      )),
      standIn: true,
    }),
    credential: given.credential ?? {
      kind: 'token',
      credential: tokens(LOCAL_PIPELINE_OBJECT_ID),
      description: `local pipeline identity ${LOCAL_PIPELINE_OBJECT_ID}`,
    },
    reader: given.reader ?? {
      kind: 'token',
      credential: tokens(LOCAL_READER_OBJECT_ID),
      description: `local reader ${LOCAL_READER_OBJECT_ID}`,
    },
    stop: async () => started?.stop(),
  };
}

/** `--client-cert/--client-key` and `--reader-cert/--reader-key`: PEM files to act as. */
export interface ClientCertificates {
  readonly clientCert?: string;
  readonly clientKey?: string;
  readonly readerCert?: string;
  readonly readerKey?: string;
}

export interface ConnectOptions extends ClientCertificates {
  readonly environmentsDir: string;
  /** a local ledger data folder standing in for the environment's ledger. @default - the real one in Azure */
  readonly localData?: string;
}

export interface EnvironmentConnection {
  readonly resolveTarget: () => Promise<SmokeTarget>;
  readonly credential: LedgerCredential;
  readonly reader?: LedgerCredential;
  stop(): Promise<void>;
}

/**
 * How to reach an environment's ledger: through ARM with `DefaultAzureCredential` (or a client
 * certificate), or a local ledger standing in for it.
 */
export async function connectEnvironment(environment: string, options: ConnectOptions): Promise<EnvironmentConnection> {
  if (options.localData) return prepareLocalSmoke(options.localData, options);
  const env = loadEnvironmentFile(join(options.environmentsDir, `${environment}.json`));
  const azure = new DefaultAzureCredential();
  const { credential, reader } = certificateCredentials(options);
  return {
    resolveTarget: () => resolveFromArm(new ArmClient(azure, env.subscriptionId), env.resourceGroup.name, env.ledger.name),
    credential: credential ?? {
      kind: 'token',
      credential: azure,
      description: 'the DefaultAzureCredential identity (workload identity in pipelines)',
    },
    reader,
    stop: async () => undefined,
  };
}

/** The client certificates given, as credentials; undefined where none was given. */
function certificateCredentials(options: ClientCertificates): { credential?: LedgerCredential; reader?: LedgerCredential } {
  const certificate = (cert: string, key: string, description: string): LedgerCredential => ({
    kind: 'certificate',
    certificatePem: readFileSync(cert, 'utf8'),
    keyPem: readFileSync(key, 'utf8'),
    description,
  });
  return {
    credential:
      options.clientCert && options.clientKey
        ? certificate(options.clientCert, options.clientKey, `certificate ${options.clientCert}`)
        : undefined,
    reader:
      options.readerCert && options.readerKey
        ? certificate(options.readerCert, options.readerKey, `reader certificate ${options.readerCert}`)
        : undefined,
  };
}

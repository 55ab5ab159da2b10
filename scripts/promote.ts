/**
 * `npm run promote -- --from dev --to test`: allows a commit into the next environment only when
 * the source environment's own ledger holds passing smoke evidence for the same commit and the
 * same synthesized stack, then records an `acl-stack/promotion/v1` attestation (with who approved
 * it) in the target environment's ledger and keeps its verified receipt next to the evidence.
 * The source ledger is the one the source environment file names, its certificate fetched live
 * from the identity service or pinned with `--source-certificate`; `--from-local-data <dir>`
 * names a stand-in local ledger instead, whose evidence counts only for a stand-in target
 * (`--local-data <dir>`). `--gate-only` checks the gate and nothing else (pipelines run it before
 * applying, when the target ledger may not exist yet).
 * Exit codes: scripts/cli/exit-codes.ts (`--help` lists them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TIERS } from '../constructs/governance';
import { AZURE_IDENTITY_SERVICE, fetchLedgerIdentity, identityUrl } from '../receipts/ledger-identity';
import { EnvironmentConfigError, loadEnvironmentFile, type Environment } from '../stacks/environment-config';
import { stackName } from '../stacks/ledger-stack';
import { stackSha256 } from '../stacks/stack-hash';
import { createCli, environmentNameArg, readableFile, runCli } from './cli/command';
import { exitCode } from './cli/exit-codes';
import { addCommonOptions, commonSettings, type CommonSettings, type CommonValues } from './cli-options';
import { recordAttestation } from './delivery/attestation';
import { resolveApproval } from './delivery/approver';
import { PromotionRefused, passingEvidence, type SourceLedger } from './delivery/evidence-gate';
import { certificateSha256, ledgerLabel } from './smoke/evidence';
import { rereadEntry, type LedgerCredential, type SmokeResult } from './smoke/run-smoke';
import { StepFailure } from './smoke/steps';
import { connectEnvironment, prepareLocalSmoke } from './smoke/targets';

export interface PromoteOptions extends CommonSettings {
  readonly from: string;
  readonly to: string;
  /** who approved, when not read from the pipeline's approvals (see {@link resolveApproval}). */
  readonly approver?: string;
  /** a local ledger standing in for the source environment's ledger. @default - its Azure ledger */
  readonly fromLocalData?: string;
  /** a PEM file pinning the source ledger's identity certificate, for gates without network access. @default - fetched live */
  readonly sourceCertificate?: string;
  readonly report: (line: string) => void;
}

/**
 * The gate: the target must be the next tier, and the source environment's ledger must hold
 * passing smoke evidence for this commit and its stack as this commit synthesizes it. Throws
 * {@link PromotionRefused} otherwise.
 */
export async function promotionGate(options: Omit<PromoteOptions, 'approver' | 'report'>) {
  const source = loadEnvironmentFile(join(options.environmentsDir, `${options.from}.json`));
  const target = loadEnvironmentFile(join(options.environmentsDir, `${options.to}.json`));
  if (TIERS.indexOf(target.tier) !== TIERS.indexOf(source.tier) + 1) {
    throw new PromotionRefused(
      `${options.from} (tier ${source.tier}) can only be promoted to the next tier, not to ${options.to} (tier ${target.tier}); the order is ${TIERS.join(' → ')}`,
    );
  }
  if (options.fromLocalData && !options.localData) {
    throw new PromotionRefused(
      `evidence from the stand-in ledger in ${options.fromLocalData} never counts for the Azure environment ${options.to}: promote into a stand-in (--local-data <dir>) or gate on ${options.from}'s Azure ledger`,
    );
  }
  const sourceStack = stackSha256(options.cdktfOut, stackName(source.name));
  const ledger = await openSourceLedger(options, source);
  try {
    const passing = await passingEvidence({
      evidenceRoot: options.evidenceDir,
      environment: source.name,
      commit: options.commit,
      stackSha256: sourceStack,
      source: ledger.source,
    });
    return { source, target, sourceStack, sourceLedger: ledger.source, ...passing };
  } finally {
    await ledger.stop();
  }
}

/** The ledger the source environment's evidence must come from, trusted without reading the evidence. */
async function openSourceLedger(
  options: Omit<PromoteOptions, 'approver' | 'report'>,
  environment: Environment,
): Promise<{ source: SourceLedger; stop(): Promise<void> }> {
  const reread =
    (endpoint: string, certificate: string, credential: LedgerCredential): SourceLedger['reread'] =>
    (entry) =>
      rereadEntry({ ledgerEndpoint: endpoint }, certificate, credential, entry).catch((error: Error) => {
        throw new Error(error instanceof StepFailure ? error.reason : error.message);
      });
  if (options.fromLocalData) {
    const local = await prepareLocalSmoke(options.fromLocalData);
    const certificate = readFileSync(local.info.serviceCertificatePath, 'utf8');
    return {
      source: {
        description: `the stand-in local ledger in ${options.fromLocalData}`,
        ledgerId: local.info.ledgerId,
        ledgerEndpoint: local.info.ledgerEndpoint,
        serviceCertificate: certificate,
        standIn: true,
        reread: reread(local.info.ledgerEndpoint, certificate, local.credential),
      },
      stop: () => local.stop(),
    };
  }
  const name = environment.ledger.name;
  const endpoint = `https://${name}.confidential-ledger.azure.com`;
  let certificate: string;
  let how: string;
  if (options.sourceCertificate) {
    certificate = readPinnedCertificate(options.sourceCertificate);
    how = `certificate pinned in ${options.sourceCertificate}`;
  } else {
    certificate = await fetchLedgerIdentity(identityUrl(name)).catch((error: Error) => {
      throw new PromotionRefused(
        `cannot fetch the identity certificate of ${environment.name}'s ledger ${name} from ${AZURE_IDENTITY_SERVICE} (${error.message}); offline, pin it with --source-certificate <pem>`,
      );
    });
    how = 'certificate fetched from the identity service';
  }
  const connection = await connectEnvironment(environment.name, { ...options, localData: undefined });
  return {
    source: {
      description: `${environment.name}'s ledger ${name} (${how})`,
      ledgerId: name,
      ledgerEndpoint: endpoint,
      serviceCertificate: certificate,
      standIn: false,
      reread: reread(endpoint, certificate, connection.credential),
    },
    stop: () => connection.stop(),
  };
}

function readPinnedCertificate(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
    certificateSha256(pem);
  } catch (error) {
    throw new PromotionRefused(`--source-certificate ${path} is not a readable PEM certificate (${(error as Error).message})`);
  }
  return pem;
}

/** Checks the gate, then records the promotion, with who approved it, in the target's ledger. */
export async function promote(options: PromoteOptions): Promise<SmokeResult> {
  const { source, target, sourceStack, sourceLedger, evidence, dir, contentsProof } = await promotionGate(options);
  const approval = await resolveApproval(target.name, options.approver);
  options.report(
    `gate: ${source.name} passed its smoke test for commit ${options.commit} on ${ledgerLabel(evidence.ledger)} (transaction ${evidence.transactionId}, contents proven by ${contentsProof}, ${dir})`,
  );
  options.report(`approved by ${approval.approvers.join(', ')} (${approval.source})`);
  return recordAttestation({
    ...options,
    environment: target.name,
    kind: 'promotion',
    stackSha256: stackSha256(options.cdktfOut, stackName(target.name)),
    claims: {
      from: source.name,
      to: target.name,
      approvers: approval.approvers,
      approvalSource: approval.source,
      sourceStackSha256: sourceStack,
      sourceEvidence: {
        transactionId: evidence.transactionId,
        ledgerId: sourceLedger.ledgerId,
        ledgerEndpoint: sourceLedger.ledgerEndpoint,
        serviceCertificateSha256: certificateSha256(sourceLedger.serviceCertificate),
        standIn: sourceLedger.standIn,
        contentsProof,
      },
    },
  });
}

interface PromoteValues extends CommonValues {
  readonly from: string;
  readonly to: string;
  readonly approver?: string;
  readonly fromLocalData?: string;
  readonly sourceCertificate?: string;
  readonly gateOnly?: boolean;
}

function promoteCli() {
  return addCommonOptions(
    createCli({
      name: 'promote',
      summary:
        "Promotes a commit into the next environment only when the source environment's own ledger holds passing smoke evidence for the same commit and stack, then records who approved it in the target's ledger.",
      examples: [
        ['npm run promote -- --from dev --to test --gate-only', 'check the gate only (pipelines run it before applying test)'],
        ['npm run promote -- --from dev --to test --approver alice', "record the promotion, approved by alice, in test's ledger"],
        [
          'npm run promote -- --from dev --to test --source-certificate dev-identity.pem --gate-only',
          "gate offline, with dev's ledger certificate pinned",
        ],
      ],
    })
      .requiredOption('--from <env>', 'the source environment', environmentNameArg)
      .requiredOption('--to <env>', 'the target environment (the next tier)', environmentNameArg)
      .option('--approver <who>', "who approved, when not read from the pipeline's approvals")
      .option('--gate-only', 'check the gate and nothing else')
      .option('--from-local-data <dir>', 'a stand-in local ledger for the source')
      .option('--source-certificate <pem>', "pin the source ledger's identity certificate (offline gates)", readableFile),
  );
}

async function main(values: PromoteValues): Promise<number> {
  const options: PromoteOptions = {
    ...commonSettings(values),
    from: values.from,
    to: values.to,
    approver: values.approver,
    fromLocalData: values.fromLocalData,
    sourceCertificate: values.sourceCertificate,
    report: (line) => console.log(line),
  };
  try {
    if (values.gateOnly) {
      const { evidence, dir, contentsProof } = await promotionGate(options);
      console.log(
        `gate passed: ${options.from} passed its smoke test for commit ${options.commit} on ${ledgerLabel(evidence.ledger)} (transaction ${evidence.transactionId}, contents proven by ${contentsProof}, ${dir})`,
      );
      return exitCode('ok');
    }
    const result = await promote(options);
    if (result.ok)
      console.log(
        `\npromoted ${options.from} → ${options.to}: attestation ${result.transactionId}, receipt verified\nevidence: ${result.evidenceDir}`,
      );
    else console.error(`\npromotion attestation FAILED: ${result.failure?.message}`);
    return result.exitCode;
  } catch (error) {
    if (error instanceof PromotionRefused) {
      console.error(`promotion refused: ${error.message}`);
      return exitCode('promotion-refused');
    }
    throw error;
  }
}

if (require.main === module) runCli(promoteCli(), main, [[EnvironmentConfigError, 'usage', 'promote refused']]);

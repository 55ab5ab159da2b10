/**
 * `npm run promote -- --to test`: allows a commit into an environment only when each environment it
 * is promoted from (its `promotesFrom`, the promotion graph) holds passing smoke evidence in its own
 * ledger for the same commit and the same synthesized stack, then records an
 * `acl-stack/promotion/v2` attestation (with who approved it) in the target environment's ledger
 * and keeps its verified receipt next to the evidence. `--from a,b` states the predecessors the
 * caller expects and is refused unless they are exactly the declared ones.
 * Each source ledger is the one its environment file names, its certificate fetched live from the
 * identity service or pinned with `--source-certificate [<env>=]<pem>`; `--from-local-data
 * [<env>=]<dir>` names a stand-in local ledger instead, whose evidence counts only for a stand-in
 * target (`--local-data <dir>`); without `<env>=`, the value applies to every predecessor.
 * `--gate-only` checks the gate and nothing else (pipelines run it before applying, when the
 * target ledger may not exist yet).
 * Exit codes: scripts/cli/exit-codes.ts (`--help` lists them).
 */
import { readFileSync } from 'node:fs';
import { AZURE_IDENTITY_SERVICE, fetchLedgerIdentity, identityUrl } from '../receipts/ledger-identity';
import { EnvironmentConfigError, loadEnvironments, type Environment } from '../stacks/environment-config';
import { stackName } from '../stacks/ledger-stack';
import { stackSha256 } from '../stacks/stack-hash';
import { UsageError, createCli, environmentNameArg, runCli } from './cli/command';
import { exitCode } from './cli/exit-codes';
import { addCommonOptions, commonSettings, type CommonSettings, type CommonValues } from './cli-options';
import { recordAttestation } from './delivery/attestation';
import { resolveApproval } from './delivery/approver';
import { PromotionRefused, passingEvidence, type ContentsProof, type SourceLedger } from './delivery/evidence-gate';
import { certificateSha256, ledgerLabel, type Evidence } from './smoke/evidence';
import { rereadEntry, type LedgerCredential } from './smoke/protocol';
import type { SmokeResult } from './smoke/run-smoke';
import { StepFailure } from './smoke/steps';
import { connectEnvironment, prepareLocalSmoke } from './smoke/targets';

/** A setting for every predecessor (a plain value) or per predecessor (keyed by environment name). */
export type PerSource = string | Readonly<Record<string, string>>;

export interface PromoteOptions extends CommonSettings {
  readonly to: string;
  /** the predecessors the caller expects; refused unless exactly the declared ones. @default - the declared ones */
  readonly from?: readonly string[];
  /** who approved, when not read from the pipeline's approvals (see {@link resolveApproval}). */
  readonly approver?: string;
  /** a local ledger standing in for a source environment's ledger. @default - its Azure ledger */
  readonly fromLocalData?: PerSource;
  /** a PEM file pinning a source ledger's identity certificate, for gates without network access. @default - fetched live */
  readonly sourceCertificate?: PerSource;
  readonly report: (line: string) => void;
}

/** One predecessor's passing evidence, as the gate found and checked it. */
export interface PassedSource {
  readonly source: Environment;
  readonly sourceStack: string | null;
  readonly sourceLedger: SourceLedger;
  readonly evidence: Evidence;
  readonly dir: string;
  readonly contentsProof: ContentsProof;
}

const forSource = (setting: PerSource | undefined, name: string): string | undefined =>
  typeof setting === 'string' ? setting : setting?.[name];

/**
 * The gate: the target must be promoted from its declared predecessors (a fan-in from each), and
 * each predecessor's ledger must hold passing smoke evidence for this commit and its stack as this
 * commit synthesizes it. Throws {@link PromotionRefused} otherwise, naming every failing predecessor.
 */
export async function promotionGate(
  options: Omit<PromoteOptions, 'approver' | 'report'>,
): Promise<{ target: Environment; passed: PassedSource[] }> {
  const environments = loadEnvironments(options.environmentsDir);
  const target = environments.find((e) => e.name === options.to);
  if (!target) {
    throw new PromotionRefused(`${options.to} is not an environment (known: ${environments.map((e) => e.name).join(', ')})`);
  }
  const declared = target.promotesFrom;
  if (declared.length === 0) {
    throw new PromotionRefused(
      `${target.name} is a first environment (${target.file}: promotesFrom is empty): nothing is promoted into it`,
    );
  }
  const unexpected = (options.from ?? []).filter((f) => !declared.includes(f));
  if (unexpected.length) {
    throw new PromotionRefused(
      `${target.name} is not promoted from ${unexpected.join(', ')}; it is promoted from ${declared.join(', ')} only (${target.file}: promotesFrom)`,
    );
  }
  const missing = options.from ? declared.filter((d) => !options.from!.includes(d)) : [];
  if (missing.length) {
    throw new PromotionRefused(
      `${target.name} is promoted from ${declared.join(' and ')}, and needs passing evidence from each; --from leaves out ${missing.join(', ')}`,
    );
  }
  // a per-predecessor setting keyed by an environment the gate never reads would be silently ignored.
  for (const [flag, setting] of [
    ['--from-local-data', options.fromLocalData],
    ['--source-certificate', options.sourceCertificate],
  ] as const) {
    const strays = typeof setting === 'object' ? Object.keys(setting).filter((name) => !declared.includes(name)) : [];
    if (strays.length) {
      throw new PromotionRefused(
        `${flag} names ${strays.join(', ')}, which ${target.name} is not promoted from; it is promoted from ${declared.join(', ')} only (${target.file}: promotesFrom)`,
      );
    }
  }
  if (options.fromLocalData && !options.localData) {
    throw new PromotionRefused(
      `evidence from the stand-in ledger in ${Object.values(typeof options.fromLocalData === 'string' ? { all: options.fromLocalData } : options.fromLocalData).join(', ')} never counts for the Azure environment ${target.name}: promote into a stand-in (--local-data <dir>) or gate on the predecessors' Azure ledgers`,
    );
  }
  const passed: PassedSource[] = [];
  const refusals: string[] = [];
  for (const name of declared) {
    const source = environments.find((e) => e.name === name)!;
    try {
      passed.push(await sourceGate(options, source));
    } catch (error) {
      if (!(error instanceof PromotionRefused)) throw error;
      refusals.push(error.message);
    }
  }
  if (refusals.length) {
    throw new PromotionRefused(
      declared.length > 1
        ? `${target.name} is promoted from ${declared.join(' and ')} and needs passing evidence from each:\n${refusals.join('\n')}`
        : refusals[0],
    );
  }
  return { target, passed };
}

/** One predecessor's passing evidence from its own ledger. */
async function sourceGate(options: Omit<PromoteOptions, 'approver' | 'report'>, source: Environment): Promise<PassedSource> {
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
    return { source, sourceStack, sourceLedger: ledger.source, ...passing };
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
  const fromLocalData = forSource(options.fromLocalData, environment.name);
  const sourceCertificate = forSource(options.sourceCertificate, environment.name);
  if (fromLocalData) {
    const local = await prepareLocalSmoke(fromLocalData, options);
    const certificate = readFileSync(local.info.serviceCertificatePath, 'utf8');
    return {
      source: {
        description: `the stand-in local ledger in ${fromLocalData}`,
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
  if (sourceCertificate) {
    certificate = readPinnedCertificate(sourceCertificate);
    how = `certificate pinned in ${sourceCertificate}`;
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

/** One line per predecessor: what passed, where, and how its contents are proven. */
function describePassed(options: Pick<PromoteOptions, 'commit'>, p: PassedSource): string {
  return `${p.source.name} passed its smoke test for commit ${options.commit} on ${ledgerLabel(p.evidence.ledger)} (transaction ${p.evidence.transactionId}, contents proven by ${p.contentsProof}, ${p.dir})`;
}

/** Checks the gate, then records the promotion, with who approved it, in the target's ledger. */
export async function promote(options: PromoteOptions): Promise<SmokeResult> {
  const { target, passed } = await promotionGate(options);
  const approval = await resolveApproval(target.name, options.approver);
  for (const p of passed) options.report(`gate: ${describePassed(options, p)}`);
  options.report(`approved by ${approval.approvers.join(', ')} (${approval.source})`);
  return recordAttestation({
    ...options,
    environment: target.name,
    kind: 'promotion',
    stackSha256: stackSha256(options.cdktfOut, stackName(target.name)),
    claims: {
      from: passed.map((p) => p.source.name),
      to: target.name,
      approvers: approval.approvers,
      approvalSource: approval.source,
      sourceEvidence: passed.map((p) => ({
        environment: p.source.name,
        stackSha256: p.sourceStack,
        transactionId: p.evidence.transactionId,
        ledgerId: p.sourceLedger.ledgerId,
        ledgerEndpoint: p.sourceLedger.ledgerEndpoint,
        serviceCertificateSha256: certificateSha256(p.sourceLedger.serviceCertificate),
        standIn: p.sourceLedger.standIn,
        contentsProof: p.contentsProof,
      })),
    },
  });
}

/** `dir` for every predecessor, or `env=dir` for one; repeated for several. */
function perSource(option: string, values: readonly string[] | undefined): PerSource | undefined {
  if (!values?.length) return undefined;
  if (values.length === 1 && !values[0].includes('=')) return values[0];
  return Object.fromEntries(
    values.map((value, index) => {
      const at = value.indexOf('=');
      if (at < 1) throw new UsageError(`--${option} '${value}': with several values, give each as <env>=<path>`);
      const environment = value.slice(0, at);
      if (!/^[a-z][a-z0-9-]{0,19}$/.test(environment))
        throw new UsageError(`--${option} '${value}': '${environment}' is not an environment name`);
      if (values.slice(0, index).some((earlier) => earlier.startsWith(`${environment}=`)))
        throw new UsageError(`--${option} '${value}': ${environment} is given twice`);
      return [environment, value.slice(at + 1)];
    }),
  );
}

/** Collects a repeatable option's values. */
const repeated = (value: string, previous: readonly string[] = []): readonly string[] => [...previous, value];

/** A comma-separated list of environment names; a repeated flag adds to the list (never silently replaces it). */
const environmentList = (value: string, previous: readonly string[] = []): readonly string[] => [
  ...previous,
  ...value.split(',').map((name) => environmentNameArg(name.trim())),
];

interface PromoteValues extends CommonValues {
  readonly from?: readonly string[];
  readonly to: string;
  readonly approver?: string;
  readonly fromLocalData?: readonly string[];
  readonly sourceCertificate?: readonly string[];
  readonly gateOnly?: boolean;
}

function promoteCli() {
  return addCommonOptions(
    createCli({
      name: 'promote',
      summary:
        "Promotes a commit into an environment only when each environment it is promoted from (its promotesFrom) holds passing smoke evidence in its own ledger for the same commit and stack, then records who approved it in the target's ledger.",
      examples: [
        ['npm run promote -- --to test --gate-only', 'check the gate only (pipelines run it before applying test)'],
        ['npm run promote -- --to test --from dev --approver alice', "record the promotion, approved by alice, in test's ledger"],
        [
          'npm run promote -- --to prod --from-local-data weu=.ll-weu --from-local-data neu=.ll-neu',
          'a fan-in, each predecessor on its own stand-in ledger',
        ],
        [
          'npm run promote -- --to test --source-certificate dev-identity.pem --gate-only',
          "gate offline, with dev's ledger certificate pinned",
        ],
      ],
    })
      .requiredOption('--to <env>', 'the target environment', environmentNameArg)
      .option('--from <env,...>', 'the predecessors you expect; refused unless exactly the declared ones', environmentList)
      .option('--approver <who>', "who approved, when not read from the pipeline's approvals")
      .option('--gate-only', 'check the gate and nothing else')
      .option('--from-local-data <[env=]dir>', 'a stand-in local ledger for a source (repeat with env= for several)', repeated)
      .option(
        '--source-certificate <[env=]pem>',
        "pin a source ledger's identity certificate, offline (repeat with env= for several)",
        repeated,
      ),
  );
}

async function main(values: PromoteValues): Promise<number> {
  const options: PromoteOptions = {
    ...commonSettings(values),
    to: values.to,
    from: values.from,
    approver: values.approver,
    fromLocalData: perSource('from-local-data', values.fromLocalData),
    sourceCertificate: perSource('source-certificate', values.sourceCertificate),
    report: (line) => console.log(line),
  };
  try {
    if (values.gateOnly) {
      const { passed } = await promotionGate(options);
      for (const p of passed) console.log(`gate passed: ${describePassed(options, p)}`);
      return exitCode('ok');
    }
    const result = await promote(options);
    if (result.ok)
      console.log(`\npromoted into ${options.to}: attestation ${result.transactionId}, receipt verified\nevidence: ${result.evidenceDir}`);
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

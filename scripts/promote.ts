/**
 * `npm run promote -- --from dev --to test`: allows a commit into the next environment only when
 * the source environment has passing smoke evidence for the same commit and the same synthesized
 * stack, then records an `acl-stack/promotion/v1` attestation in the target environment's ledger
 * and keeps its verified receipt next to the evidence. `--gate-only` checks the gate and nothing
 * else (pipelines run it before applying, when the target ledger may not exist yet).
 * Exit 0 promoted (or gate passed), 3 refused, 2 bad usage, 10–18 a ledger step failed (as in smoke).
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { TIERS } from '../constructs/governance';
import { EnvironmentConfigError, loadEnvironmentFile } from '../stacks/environment-config';
import { stackName } from '../stacks/ledger-stack';
import { stackSha256 } from '../stacks/stack-hash';
import { COMMON_OPTIONS, COMMON_USAGE, commonSettings, environmentName, type CommonSettings } from './cli-options';
import { recordAttestation } from './delivery/attestation';
import { PromotionRefused, passingEvidence } from './delivery/evidence-gate';
import type { SmokeResult } from './smoke/run-smoke';

export const PROMOTION_REFUSED_EXIT_CODE = 3;

export interface PromoteOptions extends CommonSettings {
  readonly from: string;
  readonly to: string;
  /** who approved the promotion (the pipeline's approver or actor). */
  readonly approver: string;
  readonly report: (line: string) => void;
}

/**
 * The gate: the target must be the next tier, and the source environment must have passing smoke
 * evidence for this commit and its stack as this commit synthesizes it. Throws
 * {@link PromotionRefused} otherwise.
 */
export function promotionGate(options: Omit<PromoteOptions, 'approver' | 'report'>) {
  const source = loadEnvironmentFile(join(options.environmentsDir, `${options.from}.json`));
  const target = loadEnvironmentFile(join(options.environmentsDir, `${options.to}.json`));
  if (TIERS.indexOf(target.tier) !== TIERS.indexOf(source.tier) + 1) {
    throw new PromotionRefused(
      `${options.from} (tier ${source.tier}) can only be promoted to the next tier, not to ${options.to} (tier ${target.tier}); the order is ${TIERS.join(' → ')}`,
    );
  }
  const sourceStack = stackSha256(options.cdktfOut, stackName(source.name));
  const passing = passingEvidence({
    evidenceRoot: options.evidenceDir,
    environment: source.name,
    commit: options.commit,
    stackSha256: sourceStack,
  });
  return { source, target, sourceStack, ...passing };
}

/** Checks the gate, then records the promotion in the target's ledger. */
export async function promote(options: PromoteOptions): Promise<SmokeResult> {
  const { source, target, sourceStack, evidence, dir } = promotionGate(options);
  options.report(`gate: ${source.name} passed its smoke test for commit ${options.commit} (transaction ${evidence.transactionId}, ${dir})`);
  return recordAttestation({
    ...options,
    environment: target.name,
    kind: 'promotion',
    stackSha256: stackSha256(options.cdktfOut, stackName(target.name)),
    claims: {
      from: source.name,
      to: target.name,
      approver: options.approver,
      sourceStackSha256: sourceStack,
      sourceEvidenceTransactionId: evidence.transactionId,
      sourceLedger: evidence.ledger?.ledgerId,
    },
  });
}

async function main(): Promise<number> {
  const usage = `usage: promote --from <env> --to <env> [--approver <who>] [--gate-only]\n  ${COMMON_USAGE}`;
  let options: PromoteOptions;
  let gateOnly: boolean;
  try {
    const { values } = parseArgs({
      options: {
        ...COMMON_OPTIONS,
        from: { type: 'string' },
        to: { type: 'string' },
        approver: { type: 'string' },
        'gate-only': { type: 'boolean' },
      },
    });
    gateOnly = values['gate-only'] ?? false;
    options = {
      ...commonSettings(values),
      from: environmentName('from', values.from),
      to: environmentName('to', values.to),
      approver: values.approver ?? process.env.GITHUB_ACTOR ?? process.env.BUILD_REQUESTEDFOREMAIL ?? process.env.USER ?? 'unknown',
      report: (line) => console.log(line),
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  try {
    if (gateOnly) {
      const { evidence, dir } = promotionGate(options);
      console.log(
        `gate passed: ${options.from} passed its smoke test for commit ${options.commit} (transaction ${evidence.transactionId}, ${dir})`,
      );
      return 0;
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
      return PROMOTION_REFUSED_EXIT_CODE;
    }
    if (error instanceof EnvironmentConfigError) {
      console.error(`promote refused:\n${error.message}`);
      return 2;
    }
    throw error;
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`promote: ${error.message}`);
      process.exit(2);
    },
  );
}

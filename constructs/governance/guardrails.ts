import { Annotations, Aspects, InvalidPropError, TerraformStack, type IAspect, type IConstruct } from '../core';
import { GUARDRAIL_RULES, GUARDRAIL_RULE_IDS, type GuardrailRule, type Tier, isStrictTier } from './rules';

/** Suppressions must say why, in at least this many characters. */
export const MIN_SUPPRESSION_REASON_LENGTH = 20;

export interface GuardrailSuppression {
  readonly ruleId: string;
  /** why the rule does not apply here; kept in the synthesized stack for auditors. */
  readonly reason: string;
}

export interface GuardrailViolation {
  readonly ruleId: string;
  readonly path: string;
  readonly detail: string;
}

export interface GuardrailsProps {
  readonly tier: Tier;
  /** @default - none */
  readonly suppressions?: readonly GuardrailSuppression[];
  /** @default - every rule in {@link GUARDRAIL_RULES} */
  readonly rules?: readonly GuardrailRule[];
}

/**
 * Checks a composed stack against the guardrails of its tier, in the manner of a cdk-nag pack:
 * each violation becomes an error annotation naming its rule, so synth fails listing all of them.
 * Suppressions are recorded in the synthesized JSON under `//.guardrails`.
 */
export class Guardrails implements IAspect {
  /** Applies the guardrails to a stack. */
  static of(stack: TerraformStack, props: GuardrailsProps): Guardrails {
    const pack = new Guardrails(stack, props);
    Aspects.of(stack).add(pack);
    return pack;
  }

  readonly violations: GuardrailViolation[] = [];
  private readonly rules: readonly GuardrailRule[];
  private readonly suppressed: Map<string, string>;
  private readonly visited = new Set<string>();

  private constructor(
    private readonly stack: TerraformStack,
    private readonly props: GuardrailsProps,
  ) {
    this.rules = props.rules ?? GUARDRAIL_RULES;
    this.suppressed = new Map();
    for (const s of props.suppressions ?? []) {
      if (!GUARDRAIL_RULE_IDS.includes(s.ruleId)) {
        throw new InvalidPropError(
          stack,
          'guardrails.suppressions.ruleId',
          s.ruleId,
          `is not a guardrail rule; allowed: ${GUARDRAIL_RULE_IDS.join(', ')}`,
        );
      }
      if (s.reason.trim().length < MIN_SUPPRESSION_REASON_LENGTH) {
        throw new InvalidPropError(
          stack,
          `guardrails.suppressions[${s.ruleId}].reason`,
          s.reason,
          `must explain the suppression in at least ${MIN_SUPPRESSION_REASON_LENGTH} characters`,
        );
      }
      this.suppressed.set(s.ruleId, s.reason.trim());
    }
    // the promise auditors rely on: prod passes every rule, so nothing there may be waved through.
    if (isStrictTier(props.tier) && this.suppressed.size) {
      throw new InvalidPropError(
        stack,
        'guardrails.suppressions',
        [...this.suppressed.keys()],
        'are refused in tier prod: a prod stack passes every guardrail; fix the finding instead',
      );
    }
    stack.addOverride('//.guardrails', {
      tier: props.tier,
      enforced: this.rules.map((r) => r.id),
      suppressions: [...this.suppressed].map(([ruleId, reason]) => ({ ruleId, reason })),
    });
  }

  /**
   * Checks the whole stack now, before synth, and returns every violation. Synth runs the same
   * checks again as an aspect; a node is never reported twice.
   */
  check(): readonly GuardrailViolation[] {
    this.stack.node.findAll().forEach((node) => this.visit(node));
    return this.violations;
  }

  visit(node: IConstruct): void {
    if (this.visited.has(node.node.path)) return;
    this.visited.add(node.node.path);
    for (const rule of this.rules) {
      const outcome = rule.evaluate(node);
      if (outcome.result !== 'NON_COMPLIANT') continue;
      if (this.suppressed.has(rule.id)) {
        Annotations.of(node).addInfo(`[${rule.id}] suppressed: ${this.suppressed.get(rule.id)}`);
        continue;
      }
      this.violations.push({ ruleId: rule.id, path: node.node.path, detail: outcome.detail });
      Annotations.of(node).addError(`[${rule.id}] ${rule.info} (${outcome.detail}; tier ${this.props.tier})`);
    }
  }
}

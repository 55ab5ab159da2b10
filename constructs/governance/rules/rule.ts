import { ManagementLock } from '@cdktf/provider-azurerm/lib/management-lock';
import { TerraformStack, resolveValue, type IConstruct } from '../../core';

/**
 * Environment tiers. Every guardrail applies in every tier: a lower tier relaxes a rule only
 * through a suppression with a written reason, recorded in its synthesized stack.
 */
export const TIERS = ['dev', 'test', 'prod'] as const;
export type Tier = (typeof TIERS)[number];
/** Strict (prod-like): every guardrail passes with no suppression. The tier never orders promotions. */
export const isStrictTier = (tier: Tier): boolean => tier === 'prod';

export type RuleResult =
  { readonly result: 'COMPLIANT' } | { readonly result: 'NOT_APPLICABLE' } | { readonly result: 'NON_COMPLIANT'; readonly detail: string };

export const COMPLIANT: RuleResult = { result: 'COMPLIANT' };
export const NOT_APPLICABLE: RuleResult = { result: 'NOT_APPLICABLE' };
export const nonCompliant = (detail: string): RuleResult => ({ result: 'NON_COMPLIANT', detail });

/** One guardrail: a pure check of one construct in a composed stack. */
export interface GuardrailRule {
  /** stable id, used in suppressions: `ACL-<AREA><n>`. */
  readonly id: string;
  /** one line: what must be true. */
  readonly info: string;
  /** why it matters, for the README table. */
  readonly explanation: string;
  /** the equivalent check in common scanners, where one exists. */
  readonly scannerEquivalent?: string;
  evaluate(node: IConstruct): RuleResult;
}

/** The literal value of an attribute: tokens resolved to their Terraform expression. */
export function resolved(node: IConstruct, value: unknown): unknown {
  return resolveValue(TerraformStack.of(node), value);
}

/** All resources of a class in the node's stack. */
export function resourcesOfType<T>(node: IConstruct, type: abstract new (...args: never[]) => T): T[] {
  return TerraformStack.of(node)
    .node.findAll()
    .filter((c): c is IConstruct & T => c instanceof type);
}

/** True when `reference` (a resource id attribute) and `id` resolve to the same expression. */
export function sameResource(node: IConstruct, reference: unknown, id: unknown): boolean {
  return JSON.stringify(resolved(node, reference)) === JSON.stringify(resolved(node, id));
}

/** True when some management lock in the stack has `resourceId` as its scope. */
export function isLocked(node: IConstruct, resourceId: string): boolean {
  return resourcesOfType(node, ManagementLock).some((lock) => sameResource(node, lock.scopeInput, resourceId));
}

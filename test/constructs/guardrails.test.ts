import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GUARDRAIL_RULES, Guardrails, type GuardrailRule } from '../../constructs/governance';
import { KeyVault, type KeyVaultProps } from '../../constructs/key-vault';
import { ConfidentialLedger, type ConfidentialLedgerProps } from '../../constructs/ledger';
import { LedgerAlerts, LogAnalyticsWorkspace } from '../../constructs/monitoring';
import type { TerraformStack } from '../../constructs/core';
import { SUBNET_ID, TAGS, TENANT, ZONE_ID, alertProps, ledgerProps } from '../helpers/fixtures';
import { emptyStack, Testing } from '../helpers/template';

interface Composition {
  ledger?: Partial<ConfidentialLedgerProps>;
  vault?: Partial<KeyVaultProps>;
  retentionInDays?: number;
  ledgerDiagnostics?: boolean;
  vaultDiagnostics?: boolean;
  vaultPrivateEndpoint?: boolean;
  alerts?: boolean;
}

/** A composition that passes every prod rule unless told otherwise. */
function compose(options: Composition = {}): TerraformStack {
  const stack = emptyStack();
  const logs = new LogAnalyticsWorkspace(stack, 'Logs', {
    name: 'log-unit',
    resourceGroupName: 'rg',
    location: 'eastus',
    retentionInDays: options.retentionInDays ?? 90,
    tags: TAGS,
  });
  const ledger = new ConfidentialLedger(stack, 'Ledger', ledgerProps({ lock: 'CanNotDelete', preventDestroy: true, ...options.ledger }));
  if (options.ledgerDiagnostics !== false) ledger.addDiagnosticSetting('logs', { workspaceResourceId: logs.resourceId });
  const vault = new KeyVault(stack, 'Vault', {
    name: 'kv-unit',
    resourceGroupName: 'rg',
    location: 'eastus',
    tenantId: TENANT,
    lock: 'CanNotDelete',
    tags: TAGS,
    ...options.vault,
  });
  if (options.vaultDiagnostics !== false) vault.addDiagnosticSetting('logs', { workspaceResourceId: logs.resourceId });
  if (options.vaultPrivateEndpoint !== false) vault.addPrivateEndpoint('pe', { subnetId: SUBNET_ID, privateDnsZoneResourceIds: [ZONE_ID] });
  if (options.alerts !== false) new LedgerAlerts(stack, 'Alerts', alertProps(ledger.resourceId, vault.resourceId, logs.resourceId));
  return stack;
}

function outcomes(stack: TerraformStack, rule: GuardrailRule) {
  return stack.node
    .findAll()
    .map((node) => rule.evaluate(node))
    .filter((o) => o.result !== 'NOT_APPLICABLE');
}

const rule = (id: string) => GUARDRAIL_RULES.find((r) => r.id === id)!;

describe('guardrail rules', () => {
  test.each<[string, Composition, string]>([
    ['ACL-L1', { ledger: { ledgerType: 'Public' } }, 'ledger_type is "Public"'],
    ['ACL-L2', { ledger: { lock: undefined } }, 'no management lock has the ledger as its scope'],
    ['ACL-L3', { ledger: { preventDestroy: false } }, 'lifecycle.prevent_destroy is not set'],
    ['ACL-L4', { ledgerDiagnostics: false }, 'no diagnostic setting sends transactionlogs, userdefinedlogs'],
    ['ACL-KV1', { vault: { purgeProtectionEnabled: false } }, 'purge_protection_enabled is not true'],
    ['ACL-KV2', { vault: { publicNetworkAccessEnabled: true } }, 'public_network_access_enabled is not false'],
    ['ACL-KV3', { vaultDiagnostics: false }, 'no diagnostic setting sends AuditEvent'],
    ['ACL-KV4', { vaultPrivateEndpoint: false }, 'no private endpoint connects to the vault'],
    ['ACL-KV5', { vault: { lock: undefined } }, 'no management lock has the vault as its scope'],
    ['ACL-LA1', { retentionInDays: 30 }, 'retention_in_days is 30'],
    [
      'ACL-M1',
      { alerts: false },
      'no enabled alert with an action group watches Microsoft.KeyVault/vaults/write, Microsoft.KeyVault/vaults/delete',
    ],
  ])('%s: compliant by default, non-compliant when broken', (id, broken, detail) => {
    const ok = outcomes(compose(), rule(id));
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.every((o) => o.result === 'COMPLIANT')).toBe(true);
    expect(outcomes(compose(broken), rule(id))).toContainEqual({ result: 'NON_COMPLIANT', detail });
  });

  test('ACL-T1: every taggable resource carries the required tags; a raw resource without them is caught', () => {
    const stack = compose();
    expect(outcomes(stack, rule('ACL-T1')).every((o) => o.result === 'COMPLIANT')).toBe(true);
    const { ResourceGroup } = require('@cdktf/provider-azurerm/lib/resource-group');
    new ResourceGroup(stack, 'Untagged', { name: 'rg-x', location: 'eastus' });
    expect(outcomes(stack, rule('ACL-T1'))).toContainEqual({
      result: 'NON_COMPLIANT',
      detail: 'missing tags: environment, owner, cost-center, data-classification',
    });
  });

  test('every rule has an id and an explanation, and ids are unique', () => {
    expect(new Set(GUARDRAIL_RULES.map((r) => r.id)).size).toBe(GUARDRAIL_RULES.length);
    for (const r of GUARDRAIL_RULES) {
      expect(r.id).toMatch(/^ACL-[A-Z]+\d+$/);
      expect(r.explanation.length).toBeGreaterThan(10);
    }
  });
});

describe('Guardrails pack', () => {
  test('fails synth listing every violation with its rule id', () => {
    const stack = compose({ ledger: { ledgerType: 'Public', lock: undefined }, retentionInDays: 30 });
    const pack = Guardrails.of(stack, { tier: 'prod' });
    expect(() => Testing.fullSynth(stack)).toThrow(/Encountered Annotations with level "ERROR"/);
    for (const id of ['ACL-L1', 'ACL-L2', 'ACL-LA1']) expect(() => Testing.fullSynth(stack)).toThrow(`[${id}]`);
    expect(pack.violations.map((v) => v.ruleId).sort()).toEqual(['ACL-L1', 'ACL-L2', 'ACL-LA1']);
  });

  test('check() reports before synth and never twice for one node', () => {
    const stack = compose({ ledger: { ledgerType: 'Public' } });
    const pack = Guardrails.of(stack, { tier: 'prod' });
    pack.check();
    expect(pack.check()).toEqual([{ ruleId: 'ACL-L1', path: 'test/Ledger/Resource', detail: 'ledger_type is "Public"' }]);
  });

  test('enforces every rule in every tier: a dev stack relaxes one only by suppressing it', () => {
    const relaxed = { ledger: { ledgerType: 'Public' as const }, vaultPrivateEndpoint: false };
    expect(
      Guardrails.of(compose(relaxed), { tier: 'dev' })
        .check()
        .map((v) => v.ruleId),
    ).toEqual(['ACL-L1', 'ACL-KV4']);
    const suppressions = [
      { ruleId: 'ACL-L1', reason: 'dev ledger holds synthetic data only' },
      { ruleId: 'ACL-KV4', reason: 'dev vault is reached over its IP allow-list' },
    ];
    expect(Guardrails.of(compose(relaxed), { tier: 'dev', suppressions }).check()).toEqual([]);
  });

  test('a suppression with a reason silences its rule and is kept in the synthesized output', () => {
    const stack = compose({ ledger: { ledgerType: 'Public' } });
    const reason = 'Public ledger by design: entries are published release notes';
    const pack = Guardrails.of(stack, { tier: 'test', suppressions: [{ ruleId: 'ACL-L1', reason }] });
    const dir = Testing.fullSynth(stack);
    const json = JSON.parse(readFileSync(join(dir, 'stacks', 'test', 'cdk.tf.json'), 'utf8'));
    expect(pack.violations).toEqual([]);
    expect(json['//'].guardrails).toEqual(expect.objectContaining({ tier: 'test', suppressions: [{ ruleId: 'ACL-L1', reason }] }));
  });

  test('refuses any suppression in tier prod, even a well-reasoned one', () => {
    const reason = 'Public ledger by design: entries are published release notes';
    expect(() =>
      Guardrails.of(compose({ ledger: { ledgerType: 'Public' } }), { tier: 'prod', suppressions: [{ ruleId: 'ACL-L1', reason }] }),
    ).toThrow(
      'test: guardrails.suppressions ["ACL-L1"] are refused in tier prod: a prod stack passes every guardrail; fix the finding instead',
    );
  });

  test('fails for a suppression without a real reason', () => {
    expect(() => Guardrails.of(compose(), { tier: 'prod', suppressions: [{ ruleId: 'ACL-L1', reason: 'because' }] })).toThrow(
      'test: guardrails.suppressions[ACL-L1].reason "because" must explain the suppression in at least 20 characters',
    );
  });

  test('fails for a suppression of an unknown rule', () => {
    expect(() => Guardrails.of(compose(), { tier: 'prod', suppressions: [{ ruleId: 'CKV_AZURE_1', reason: 'x'.repeat(30) }] })).toThrow(
      /guardrails.suppressions.ruleId "CKV_AZURE_1" is not a guardrail rule; allowed: ACL-L1, /,
    );
  });
});

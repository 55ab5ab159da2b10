import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { Lazy } from '../../constructs/core';
import { GUARDRAIL_RULES } from '../../constructs/governance';
import { LedgerAlerts, type LedgerAlertsProps } from '../../constructs/monitoring';
import { alertsSchema, deployedAlertRules, enabledLogAlerts } from '../../stacks/alerts-config';
import { KeyVault } from '../../constructs/key-vault';
import { ConfidentialLedger } from '../../constructs/ledger';
import { environmentSchema } from '../../stacks/environment-config';
import { LedgerStack } from '../../stacks/ledger-stack';
import { ADMIN, TAGS, TENANT, WORKSPACE_ID, alertProps, ledgerProps } from '../helpers/fixtures';
import { Template, Testing, emptyStack } from '../helpers/template';

const LEDGER_ID =
  '/subscriptions/e2b4d6f8-0a1c-4e3b-8d5f-7a9c1e3b5d04/resourceGroups/rg-unit/providers/Microsoft.ConfidentialLedger/ledgers/l';
const VAULT_ID = '/subscriptions/e2b4d6f8-0a1c-4e3b-8d5f-7a9c1e3b5d04/resourceGroups/rg-unit/providers/Microsoft.KeyVault/vaults/kv';

/**
 * ACLTransactionLogs columns as Azure Monitor's table reference lists them (checked 2026-11-30,
 * https://learn.microsoft.com/azure/azure-monitor/reference/tables/acltransactionlogs).
 */
const DOCUMENTED_COLUMNS = [
  'TimeGenerated',
  'Level',
  'Message',
  'File',
  'Location',
  '_ResourceId',
  '_SubscriptionId',
  'TenantId',
  'SourceSystem',
  'Type',
];
/** names the queries define themselves, and KQL words and literals. */
const DEFINED = ['StatusCode', 'Requests', 'ServerErrors', 'ServerErrorPercent', 'END', 'POST'];

const every = { threshold: 3, windowDuration: 'PT15M', evaluationFrequency: 'PT5M', severity: 1 } as const;

function synth(overrides: Partial<LedgerAlertsProps> = {}) {
  const stack = emptyStack();
  const alerts = new LedgerAlerts(stack, 'A', { ...alertProps(LEDGER_ID, VAULT_ID), ...overrides });
  return { alerts, template: Template.synth(stack) };
}

describe('LedgerAlerts', () => {
  test('queries read only ACLTransactionLogs and its documented columns, filtered to this ledger', () => {
    const { template } = synth({
      logAlerts: { authorizationFailures: every, throttling: every, serverErrors: every, noSuccessfulWrites: every },
    });
    const rules = Object.values<any>(template.resources('azurerm_monitor_scheduled_query_rules_alert_v2'));
    expect(rules).toHaveLength(4);
    for (const rule of rules) {
      const query: string = rule.criteria[0].query;
      expect(query.split('\n')[0]).toBe('ACLTransactionLogs');
      expect(query).toContain(`| where _ResourceId =~ "${LEDGER_ID}"`);
      expect(rule.scopes).toEqual([alertProps(LEDGER_ID, VAULT_ID).workspaceResourceId]);
      const identifiers = query
        .slice(query.indexOf('\n'))
        .replace(/"[^"]*"|@"[^"]*"/g, '')
        .match(/\b[A-Z_][A-Za-z_]*\b/g)!
        .filter((word) => !DEFINED.includes(word));
      expect(identifiers.filter((word) => !DOCUMENTED_COLUMNS.includes(word))).toEqual([]);
    }
    const byName = Object.fromEntries(rules.map((r) => [r.name, r]));
    expect(byName['alert-contoso-acl-unit-auth-failures'].criteria[0]).toMatchObject({
      operator: 'GreaterThan',
      threshold: 3,
      time_aggregation_method: 'Count',
      query: expect.stringContaining('| where StatusCode in (401, 403)'),
    });
    expect(byName['alert-contoso-acl-unit-throttling'].criteria[0].query).toContain('| where StatusCode == 429');
    expect(byName['alert-contoso-acl-unit-server-errors'].criteria[0]).toMatchObject({
      metric_measure_column: 'ServerErrorPercent',
      time_aggregation_method: 'Maximum',
    });
    expect(byName['alert-contoso-acl-unit-no-writes'].criteria[0]).toMatchObject({
      operator: 'LessThan',
      time_aggregation_method: 'Count',
    });
    expect(byName['alert-contoso-acl-unit-auth-failures']).toMatchObject({
      severity: 1,
      window_duration: 'PT15M',
      evaluation_frequency: 'PT5M',
    });
  });

  test('watches write, delete and lock deletion through the activity log, each notifying the action group', () => {
    const { template, alerts } = synth();
    const group = template.only('azurerm_monitor_action_group');
    expect(group).toMatchObject({ short_name: 'acl-unit', email_receiver: [{ name: 'oncall', email_address: 'oncall@contoso.example' }] });
    const activity = Object.values<any>(template.resources('azurerm_monitor_activity_log_alert'));
    expect(activity.map((a) => [a.criteria.operation_name, a.criteria.resource_id, a.scopes[0]]).sort()).toEqual(
      [
        ['Microsoft.Authorization/locks/delete', undefined, '/subscriptions/e2b4d6f8-0a1c-4e3b-8d5f-7a9c1e3b5d04/resourceGroups/rg-unit'],
        ['Microsoft.ConfidentialLedger/ledgers/delete', LEDGER_ID, LEDGER_ID],
        ['Microsoft.ConfidentialLedger/ledgers/write', LEDGER_ID, LEDGER_ID],
        ['Microsoft.KeyVault/vaults/delete', VAULT_ID, VAULT_ID],
        ['Microsoft.KeyVault/vaults/write', VAULT_ID, VAULT_ID],
      ].sort(),
    );
    for (const a of activity) {
      expect(a).toMatchObject({ location: 'global', criteria: { category: 'Administrative' } });
      expect(a.action).toEqual([{ action_group_id: expect.stringMatching(/^\$\{azurerm_monitor_action_group\..+\.id\}$/) }]);
    }
    expect(alerts.ruleNames.sort()).toEqual(
      [
        'alert-contoso-acl-unit-auth-failures',
        'alert-contoso-acl-unit-ledger-write',
        'alert-contoso-acl-unit-ledger-delete',
        'alert-contoso-acl-unit-vault-write',
        'alert-contoso-acl-unit-vault-delete',
        'alert-contoso-acl-unit-lock-delete',
      ].sort(),
    );
  });

  test('uses an existing action group from the landing zone and creates none', () => {
    const existing =
      '/subscriptions/e2b4d6f8-0a1c-4e3b-8d5f-7a9c1e3b5d04/resourceGroups/rg-mon/providers/microsoft.insights/actionGroups/ag';
    const { template } = synth({ actionGroup: { mode: 'existing', actionGroupId: existing } });
    expect(template.count('azurerm_monitor_action_group')).toBe(0);
    expect(template.only('azurerm_monitor_scheduled_query_rules_alert_v2')).toMatchObject({ action: { action_groups: [existing] } });
  });

  test.each<[string, Partial<LedgerAlertsProps>, string]>([
    [
      'a short name Azure truncates',
      {
        actionGroup: {
          mode: 'create',
          name: 'ag',
          shortName: 'much-too-long-name',
          emails: [{ name: 'a', address: 'a@b.example' }],
          webhooks: [],
        },
      },
      'test/A: actionGroup.shortName "much-too-long-name" must be 1–12 characters',
    ],
    [
      'an action group with nobody to tell',
      { actionGroup: { mode: 'create', name: 'ag', shortName: 'ag', emails: [], webhooks: [] } },
      'test/A: actionGroup "ag" has no e-mail or webhook receiver',
    ],
    [
      'a plain-HTTP webhook',
      {
        actionGroup: { mode: 'create', name: 'ag', shortName: 'ag', emails: [], webhooks: [{ name: 'w', uri: 'http://hooks.example/x' }] },
      },
      'actionGroup.webhooks[w].uri "http://hooks.example/x" must be an https:// URL',
    ],
    [
      'a severity Azure does not have',
      { logAlerts: { throttling: { ...every, severity: 5 } } },
      'test/A: throttling.severity 5 must be 0 (critical) to 4',
    ],
    [
      'an error rate above 100 %',
      { logAlerts: { serverErrors: { ...every, threshold: 120 } } },
      'serverErrors.threshold 120 is a percentage of requests; it must be at most 100',
    ],
    [
      'a window shorter than the evaluation interval',
      { logAlerts: { throttling: { ...every, windowDuration: 'PT5M', evaluationFrequency: 'PT1H' } } },
      'throttling.windowDuration "PT5M" is shorter than evaluationFrequency PT1H',
    ],
  ])('fails for %s', (_, overrides, message) => {
    expect(() => synth(overrides)).toThrow(message);
  });
});

describe('guardrail ACL-M1', () => {
  const rule = GUARDRAIL_RULES.find((r) => r.id === 'ACL-M1')!;
  /** ACL-M1's verdicts on the ledger and vault of a stack with these alerts. */
  function verdicts(overrides: Partial<LedgerAlertsProps>) {
    const stack = emptyStack();
    const ledger = new ConfidentialLedger(stack, 'Ledger', ledgerProps());
    const vault = new KeyVault(stack, 'Vault', {
      name: 'kv-unit',
      resourceGroupName: 'rg',
      location: 'eastus',
      tenantId: TENANT,
      tags: TAGS,
    });
    new LedgerAlerts(stack, 'Alerts', { ...alertProps(ledger.resourceId, vault.resourceId), ...overrides });
    return stack.node
      .findAll()
      .map((node) => rule.evaluate(node))
      .filter((o) => o.result !== 'NOT_APPLICABLE');
  }

  test('passes with authorization and resource-change alerts notifying an action group', () => {
    expect(verdicts({})).toEqual([{ result: 'COMPLIANT' }, { result: 'COMPLIANT' }]);
  });

  test.each<[string, Partial<LedgerAlertsProps>, string[]]>([
    [
      'no action group',
      { actionGroup: undefined },
      [
        'no enabled alert with an action group watches authorization failures (401/403) in ACLTransactionLogs, Microsoft.ConfidentialLedger/ledgers/write, Microsoft.ConfidentialLedger/ledgers/delete, Microsoft.Authorization/locks/delete',
        'no enabled alert with an action group watches Microsoft.KeyVault/vaults/write, Microsoft.KeyVault/vaults/delete',
      ],
    ],
    [
      'no authorization-failure rule (only throttling)',
      { logAlerts: { throttling: every } },
      ['no enabled alert with an action group watches authorization failures (401/403) in ACLTransactionLogs', 'COMPLIANT'],
    ],
    [
      'resource-change alerts turned off',
      { resourceChanges: false },
      [
        'no enabled alert with an action group watches Microsoft.ConfidentialLedger/ledgers/write, Microsoft.ConfidentialLedger/ledgers/delete, Microsoft.Authorization/locks/delete',
        'no enabled alert with an action group watches Microsoft.KeyVault/vaults/write, Microsoft.KeyVault/vaults/delete',
      ],
    ],
  ])('fails with %s (ledger verdict, then vault verdict)', (_, overrides, details) => {
    expect(verdicts(overrides)).toEqual(
      details.map((detail) => (detail === 'COMPLIANT' ? { result: detail } : { result: 'NON_COMPLIANT', detail })),
    );
  });
});

describe('the alerts section of an environment file', () => {
  test('defaults: authorization, throttling and error-rate rules plus resource changes; no heartbeat', () => {
    const config = alertsSchema.parse(undefined);
    expect(Object.keys(enabledLogAlerts(config))).toEqual(['authorizationFailures', 'throttling', 'serverErrors']);
    expect(config.authorizationFailures).toEqual({
      enabled: true,
      threshold: 10,
      windowDuration: 'PT15M',
      evaluationFrequency: 'PT5M',
      severity: 2,
    });
    expect(config.resourceChanges.enabled).toBe(true);
    expect(config.actionGroup).toBeUndefined();
  });

  test('an environment turns the heartbeat on and keeps the other defaults', () => {
    const config = alertsSchema.parse({ noSuccessfulWrites: { enabled: true, windowDuration: 'PT6H' }, throttling: { enabled: false } });
    expect(enabledLogAlerts(config)).toEqual({
      authorizationFailures: expect.objectContaining({ threshold: 10 }),
      serverErrors: expect.objectContaining({ threshold: 5 }),
      noSuccessfulWrites: { enabled: true, threshold: 1, windowDuration: 'PT6H', evaluationFrequency: 'PT5M', severity: 3 },
    });
  });
});

describe('LedgerStack', () => {
  const SUBSCRIPTION = 'c7e1a3b5-9d2f-4e6a-8b4c-1f3e5a7d9b03';
  /** A generated environment (not the shipped examples) with the given alerts section. */
  function stackWith(alerts: unknown) {
    const raw = environmentSchema.parse({
      tier: 'prod',
      subscriptionId: SUBSCRIPTION,
      tenantId: TENANT,
      location: 'westeurope',
      resourceGroup: { name: 'rg-gen', create: false },
      tags: { owner: 'o', costCenter: 'c', dataClassification: 'internal' },
      ledger: {
        name: 'gen-ledger',
        type: 'Private',
        principals: [{ kind: 'entra', objectId: ADMIN.objectId, tenantId: TENANT, role: 'Administrator' }],
      },
      keyVault: { name: 'kv-gen' },
      logAnalytics: { mode: 'existing', workspaceId: WORKSPACE_ID },
      ...(alerts === undefined ? {} : { alerts }),
    });
    const env = { ...raw, name: 'gen', file: 'gen.json', ledger: { ...raw.ledger, principals: [ADMIN] } };
    const stack = new LedgerStack(Testing.app(), env);
    return { stack, json: Template.synth(stack).json };
  }

  test('an environment that configures nothing gets the default rules, and ACL-M1 asks for an action group', () => {
    const { stack, json } = stackWith(undefined);
    expect(
      Object.values<any>(json.resource.azurerm_monitor_scheduled_query_rules_alert_v2)
        .map((r) => r.name)
        .sort(),
    ).toEqual(['alert-gen-ledger-auth-failures', 'alert-gen-ledger-server-errors', 'alert-gen-ledger-throttling']);
    expect(Object.keys(json.resource.azurerm_monitor_activity_log_alert)).toHaveLength(5);
    expect(stack.guardrails.check().filter((v: { ruleId: string }) => v.ruleId === 'ACL-M1')).toHaveLength(2);
  });

  test('an action group from the file notifies every rule; rule names are a stack output', () => {
    const { stack, json } = stackWith({
      actionGroup: { mode: 'create', name: 'ag-gen', shortName: 'gen', webhooks: [{ name: 'pager', uri: 'https://pager.example/hook' }] },
      noSuccessfulWrites: { enabled: true },
      resourceChanges: { enabled: true },
    });
    expect(Object.values<any>(json.resource.azurerm_monitor_action_group)[0].webhook_receiver).toEqual([
      { name: 'pager', service_uri: 'https://pager.example/hook', use_common_alert_schema: true },
    ]);
    expect(json.output.alert_rule_names.value).toHaveLength(9);
    expect(json.output.alert_rule_names.value).toContain('alert-gen-ledger-no-writes');
    expect(stack.guardrails.check().filter((v: { ruleId: string }) => v.ruleId === 'ACL-M1')).toEqual([]);
  });

  test('the rule names can be read back from the synthesized stack, for smoke evidence', () => {
    const { stack, json } = stackWith({ noSuccessfulWrites: { enabled: true } });
    // laid out as synth writes it: <outdir>/stacks/<stack>/cdk.tf.json
    const outdir = mkdtempSync(join(tmpdir(), 'acl-out-'));
    mkdirSync(join(outdir, 'stacks', 'acl-gen'), { recursive: true });
    writeFileSync(join(outdir, 'stacks', 'acl-gen', 'cdk.tf.json'), JSON.stringify(json));
    expect(deployedAlertRules(outdir, 'acl-gen')).toEqual(stack.alerts.ruleNames);
    expect(deployedAlertRules(outdir, 'acl-missing')).toBeNull();
  });
});

describe('LedgerAlerts with references', () => {
  test('takes the ledger, vault, group, a webhook and alert settings that are references', () => {
    const stack = emptyStack();
    const group = new ResourceGroup(stack, 'Group', { name: 'rg-alerts', location: 'eastus' });
    const ledger = new ConfidentialLedger(stack, 'Ledger', ledgerProps({ resourceGroupName: group.name }));
    const vault = new KeyVault(stack, 'Vault', { name: 'kv-alerts', resourceGroupName: group.name, location: 'eastus', tenantId: TENANT });
    const uri = Lazy.stringValue({ produce: () => '${var.webhook_uri}' });
    // number attributes of another resource, unknown until apply (their meaning does not matter here).
    const threshold = vault.resource.softDeleteRetentionDays;
    const severity = vault.resource.softDeleteRetentionDays;
    const windowDuration = Lazy.stringValue({ produce: () => '${var.window}' }) as 'PT5M';
    new LedgerAlerts(stack, 'Alerts', {
      ...alertProps(ledger.resourceId, vault.resourceId),
      logAlerts: { serverErrors: { threshold, severity, windowDuration, evaluationFrequency: 'PT15M' } },
      resourceGroupName: group.name,
      resourceGroupId: group.id,
      ledgerName: ledger.name,
      actionGroup: { mode: 'create', name: 'ag-unit', shortName: 'acl-unit', emails: [], webhooks: [{ name: 'hook', uri }] },
    });
    const t = Template.synth(stack);
    expect(t.only('azurerm_monitor_action_group').webhook_receiver).toEqual([
      expect.objectContaining({ service_uri: '${var.webhook_uri}' }),
    ]);
    expect(t.only('azurerm_monitor_scheduled_query_rules_alert_v2')).toMatchObject({
      severity: expect.stringMatching(/^\$\{azurerm_key_vault\.\w+\.soft_delete_retention_days\}$/),
      window_duration: '${var.window}',
      criteria: [expect.objectContaining({ threshold: expect.stringMatching(/soft_delete_retention_days\}$/) })],
    });
    const lockWatch = Object.values(t.resources('azurerm_monitor_activity_log_alert')).find((a: any) =>
      a.name.endsWith('-lock-delete'),
    ) as any;
    expect(lockWatch.scopes).toEqual(['${azurerm_resource_group.Group.id}']);
  });
});

import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { Lazy } from '../../constructs/core';
import { DiagnosticSetting, LogAnalyticsWorkspace } from '../../constructs/monitoring';
import { TAGS, WORKSPACE_ID } from '../helpers/fixtures';
import { Template, emptyStack } from '../helpers/template';

const ledgerTarget = {
  targetResourceId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.ConfidentialLedger/ledgers/l',
  targetResourceType: 'Microsoft.ConfidentialLedger/ledgers' as const,
  workspaceResourceId: WORKSPACE_ID,
};

describe('DiagnosticSetting', () => {
  test.each<[string, { logCategories?: string[]; metricCategories?: string[] }, string]>([
    [
      'a category the ledger does not emit, listing the real ones',
      { logCategories: ['applicationlogs'] },
      'test/D: logCategories "applicationlogs" is not emitted by Microsoft.ConfidentialLedger/ledgers; allowed: transactionlogs, userdefinedlogs',
    ],
    [
      'metrics on a ledger, which publishes none',
      { metricCategories: ['AllMetrics'] },
      'metricCategories "AllMetrics" is not emitted by Microsoft.ConfidentialLedger/ledgers; allowed: none',
    ],
    [
      'a category listed twice',
      { logCategories: ['transactionlogs', 'transactionlogs'] },
      'test/D: logCategories ["transactionlogs","transactionlogs"] lists a category twice',
    ],
    ['a setting that sends nothing', { logCategories: [] }, 'test/D: logCategories [] sends nothing; choose at least one category'],
  ])('fails for %s', (_, categories, message) => {
    expect(() => new DiagnosticSetting(emptyStack(), 'D', { ...ledgerTarget, ...categories })).toThrow(message);
  });

  test('sends one chosen category to resource-specific tables', () => {
    const stack = emptyStack();
    new DiagnosticSetting(stack, 'D', { ...ledgerTarget, logCategories: ['transactionlogs'] });
    expect(Template.synth(stack).only('azurerm_monitor_diagnostic_setting')).toMatchObject({
      enabled_log: [{ category: 'transactionlogs' }],
      log_analytics_destination_type: 'Dedicated',
    });
  });
});

describe('DiagnosticSetting with references', () => {
  test('takes a target, a workspace and a category that are references', () => {
    const stack = emptyStack();
    const group = new ResourceGroup(stack, 'Group', { name: 'rg-logs', location: 'eastus' });
    const logs = new LogAnalyticsWorkspace(stack, 'Logs', { name: 'log-unit', resourceGroupName: group.name, location: group.location });
    const category = Lazy.stringValue({ produce: () => '${var.category}' });
    new DiagnosticSetting(stack, 'D', {
      targetResourceId: group.id,
      targetResourceType: 'Microsoft.KeyVault/vaults',
      workspaceResourceId: logs.resourceId,
      logCategories: [category],
      metricCategories: [],
    });
    expect(Template.synth(stack).only('azurerm_monitor_diagnostic_setting')).toMatchObject({
      target_resource_id: '${azurerm_resource_group.Group.id}',
      log_analytics_workspace_id: expect.stringMatching(/^\$\{azurerm_log_analytics_workspace\.\w+\.id\}$/),
      enabled_log: [{ category: '${var.category}' }],
    });
  });
});

describe('LogAnalyticsWorkspace', () => {
  test('fails for a name Azure refuses', () => {
    expect(
      () => new LogAnalyticsWorkspace(emptyStack(), 'L', { name: 'log', resourceGroupName: 'rg', location: 'eastus', tags: TAGS }),
    ).toThrow('test/L: name "log" must be 4–63 letters, digits or hyphens, starting and ending with a letter or digit');
  });

  test('takes a name that is a reference to another resource in the same stack, and a lock', () => {
    const stack = emptyStack();
    const group = new ResourceGroup(stack, 'Group', { name: 'rg-logs', location: 'eastus' });
    new LogAnalyticsWorkspace(stack, 'L', {
      name: `log-${group.name}`,
      resourceGroupName: group.name,
      location: group.location,
      lock: 'CanNotDelete',
    });
    const t = Template.synth(stack);
    expect(t.only('azurerm_log_analytics_workspace').name).toBe('log-${azurerm_resource_group.Group.name}');
    expect(t.only('azurerm_management_lock').scope).toMatch(/^\$\{azurerm_log_analytics_workspace\.\w+\.id\}$/);
  });

  test('defaults to 90 days of retention', () => {
    const stack = emptyStack();
    new LogAnalyticsWorkspace(stack, 'L', { name: 'log-unit', resourceGroupName: 'rg', location: 'eastus', tags: TAGS });
    expect(Template.synth(stack).only('azurerm_log_analytics_workspace')).toMatchObject({ retention_in_days: 90, sku: 'PerGB2018' });
  });

  test.each([29, 731])('fails for %j days of retention', (days) => {
    expect(
      () =>
        new LogAnalyticsWorkspace(emptyStack(), 'L', {
          name: 'log-unit',
          resourceGroupName: 'rg',
          location: 'eastus',
          retentionInDays: days,
          tags: TAGS,
        }),
    ).toThrow(`test/L: retentionInDays ${days} must be a whole number of days from 30 to 730`);
  });
});

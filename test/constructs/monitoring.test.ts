import { DiagnosticSetting, LogAnalyticsWorkspace } from '../../constructs/monitoring';
import { TAGS, WORKSPACE_ID } from '../helpers/fixtures';
import { Template, emptyStack } from '../helpers/template';

const target = {
  targetResourceId: '/subscriptions/x/resourceGroups/y/providers/Microsoft.ConfidentialLedger/ledgers/l',
  workspaceResourceId: WORKSPACE_ID,
};

describe('DiagnosticSetting', () => {
  test('fails for a category the ledger does not emit, listing the real ones', () => {
    expect(
      () =>
        new DiagnosticSetting(emptyStack(), 'D', {
          ...target,
          targetResourceType: 'Microsoft.ConfidentialLedger/ledgers',
          logCategories: ['applicationlogs'],
        }),
    ).toThrow(
      'test/D: logCategories "applicationlogs" is not emitted by Microsoft.ConfidentialLedger/ledgers; allowed: transactionlogs, userdefinedlogs',
    );
  });

  test('fails for metrics on a ledger, which publishes none', () => {
    expect(
      () =>
        new DiagnosticSetting(emptyStack(), 'D', {
          ...target,
          targetResourceType: 'Microsoft.ConfidentialLedger/ledgers',
          metricCategories: ['AllMetrics'],
        }),
    ).toThrow('metricCategories "AllMetrics" is not emitted by Microsoft.ConfidentialLedger/ledgers; allowed: none');
  });

  test('sends one chosen category to resource-specific tables', () => {
    const stack = emptyStack();
    new DiagnosticSetting(stack, 'D', {
      ...target,
      targetResourceType: 'Microsoft.ConfidentialLedger/ledgers',
      logCategories: ['transactionlogs'],
    });
    expect(Template.synth(stack).only('azurerm_monitor_diagnostic_setting')).toMatchObject({
      enabled_log: [{ category: 'transactionlogs' }],
      log_analytics_destination_type: 'Dedicated',
    });
  });
});

describe('DiagnosticSetting, further', () => {
  test('fails for a category listed twice', () => {
    expect(
      () =>
        new DiagnosticSetting(emptyStack(), 'D', {
          ...target,
          targetResourceType: 'Microsoft.ConfidentialLedger/ledgers',
          logCategories: ['transactionlogs', 'transactionlogs'],
        }),
    ).toThrow('test/D: logCategories ["transactionlogs","transactionlogs"] lists a category twice');
  });

  test('fails for a setting that sends nothing', () => {
    expect(
      () =>
        new DiagnosticSetting(emptyStack(), 'D', {
          ...target,
          targetResourceType: 'Microsoft.ConfidentialLedger/ledgers',
          logCategories: [],
        }),
    ).toThrow('test/D: logCategories [] sends nothing; choose at least one category');
  });
});

describe('LogAnalyticsWorkspace', () => {
  test('fails for a name Azure refuses', () => {
    expect(
      () => new LogAnalyticsWorkspace(emptyStack(), 'L', { name: 'log', resourceGroupName: 'rg', location: 'eastus', tags: TAGS }),
    ).toThrow('test/L: name "log" must be 4–63 letters, digits or hyphens, starting and ending with a letter or digit');
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

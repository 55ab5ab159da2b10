import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  EVALUATION_FREQUENCIES,
  LOG_ALERT_KINDS,
  WINDOW_DURATIONS,
  type LogAlertSettings,
  type LogAlertKind,
} from '../constructs/monitoring/alerts';

/*
 * The `alerts` section of an environment file. Every part has a default, so an environment that
 * says nothing gets the authorization, throttling, error-rate and resource-change alerts; the
 * "no successful writes" heartbeat is off unless the environment expects steady traffic.
 */

const logRule = (defaults: { threshold: number; enabled: boolean; severity: number; windowDuration: string }) =>
  z
    .strictObject({
      enabled: z.boolean().default(defaults.enabled),
      threshold: z.number().min(0, { error: 'must be ≥ 0' }).default(defaults.threshold),
      windowDuration: z.enum(WINDOW_DURATIONS).default(defaults.windowDuration as (typeof WINDOW_DURATIONS)[number]),
      evaluationFrequency: z.enum(EVALUATION_FREQUENCIES).default('PT5M'),
      severity: z.int().min(0).max(4, { error: 'must be 0 (critical) to 4 (verbose)' }).default(defaults.severity),
    })
    .prefault({});

const actionGroup = z.discriminatedUnion('mode', [
  z.strictObject({
    mode: z.literal('create'),
    name: z.string().regex(/^[-\w.()]{1,260}$/, { error: 'must be 1–260 letters, digits and -_.()' }),
    shortName: z.string().min(1).max(12, { error: 'must be at most 12 characters (shown in e-mails and SMS)' }),
    emails: z.array(z.strictObject({ name: z.string().min(1), address: z.email({ error: 'must be an e-mail address' }) })).default([]),
    webhooks: z
      .array(z.strictObject({ name: z.string().min(1), uri: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }) }))
      .default([]),
  }),
  z.strictObject({
    mode: z.literal('existing'),
    actionGroupId: z
      .string()
      .regex(/^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[-\w.()]+\/providers\/microsoft\.insights\/actionGroups\/[^/]+$/i, {
        error:
          'must be a microsoft.insights/actionGroups resource id like /subscriptions/<id>/resourceGroups/<group>/providers/microsoft.insights/actionGroups/<name>',
      }),
  }),
]);

export const alertsSchema = z
  .strictObject({
    /** who is told; without it the rules fire in Azure Monitor only (and guardrail ACL-M1 fails). */
    actionGroup: actionGroup.optional(),
    authorizationFailures: logRule({ enabled: true, threshold: 10, severity: 2, windowDuration: 'PT15M' }),
    throttling: logRule({ enabled: true, threshold: 50, severity: 3, windowDuration: 'PT15M' }),
    /** threshold in percent of requests answered with 5xx. */
    serverErrors: logRule({ enabled: true, threshold: 5, severity: 2, windowDuration: 'PT15M' }),
    /** fires when fewer successful writes than the threshold were logged in the window. */
    noSuccessfulWrites: logRule({ enabled: false, threshold: 1, severity: 3, windowDuration: 'PT1H' }),
    /** activity-log alerts on write, delete and lock deletion of the ledger and its vault. */
    resourceChanges: z.strictObject({ enabled: z.boolean().default(true) }).prefault({}),
  })
  .prefault({});

export type AlertsConfig = z.output<typeof alertsSchema>;

/** The enabled log-search rules with their settings, as the alerts construct takes them. */
export function enabledLogAlerts(config: AlertsConfig): Partial<Record<LogAlertKind, LogAlertSettings>> {
  return Object.fromEntries(LOG_ALERT_KINDS.filter((k) => config[k].enabled).map((k) => [k, config[k]]));
}

/**
 * The alert rules a synthesized stack deploys (its `alert_rule_names` output), for evidence that
 * names them; null when the stack was not synthesized or predates alerts.
 */
export function deployedAlertRules(outdir: string, stack: string): string[] | null {
  const file = join(outdir, 'stacks', stack, 'cdk.tf.json');
  if (!existsSync(file)) return null;
  const names = (JSON.parse(readFileSync(file, 'utf8')) as { output?: Record<string, { value?: unknown }> }).output?.alert_rule_names
    ?.value;
  return Array.isArray(names) && names.every((n) => typeof n === 'string') ? names : null;
}

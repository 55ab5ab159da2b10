export * from './diagnostic-settings';
export * from './log-analytics-workspace';
export * from './alerts';

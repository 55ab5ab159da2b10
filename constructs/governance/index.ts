export * from './guardrails';
export * from './lock';
export * from './rules';
export * from './tags';

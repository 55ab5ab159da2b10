export * from './private-endpoint';

export * from './private-dns-zone';
export * from './private-endpoint';

export * from './confidential-ledger';
export * from './ledger-roles';
export * from './regions';

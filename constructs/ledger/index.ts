export * from './confidential-ledger';
export * from '../../vocabulary/ledger-roles';
export * from '../../vocabulary/regions';

/**
 * Vocabularies shared by every layer (IaC, scripts, the local ledger): plain data and pure
 * functions, no cdktf or constructs imports, so the emulator and the scripts can use them without
 * loading the IaC framework.
 */
export * from './ledger-roles';
export * from './regions';

/*
 * The data-plane api-versions the local ledger answers, and how each shapes what it returns. The
 * service refuses any other with 400 QueryParameterError, "Parsed api-version X is not available.
 * Please use one of the following versions: …" (seen from a real ledger in
 * https://github.com/MicrosoftDocs/azure-docs/issues/99806); clients fall back on that answer.
 */

export interface ApiVersionTraits {
  /** receipts in camelCase; before 2024-01-26-preview the 2022 wire's snake_case. */
  readonly camelCaseReceipts: boolean;
  /** entries written get a LedgerEntryV1 application claim; receipts carry `applicationClaims`. */
  readonly applicationClaims: boolean;
}

export const API_VERSIONS: Readonly<Record<string, ApiVersionTraits>> = {
  '2022-05-13': { camelCaseReceipts: false, applicationClaims: false },
  '2023-01-18-preview': { camelCaseReceipts: true, applicationClaims: true },
  '2024-01-26-preview': { camelCaseReceipts: true, applicationClaims: false },
  '2026-02-23': { camelCaseReceipts: true, applicationClaims: true },
};

/** The api-version an old ledger answers, for testing clients' fallback. */
export const OLDEST_API_VERSION = '2022-05-13';

export interface ApiVersionRefusal {
  readonly status: 400;
  readonly code: 'QueryParameterError';
  readonly message: string;
}

/**
 * The traits of the request's api-version among `offered`, or the service's refusal. The SDK's
 * pager repeats `api-version`: every value must be offered, and the newest decides.
 */
export function negotiateApiVersion(
  query: URLSearchParams,
  offered: readonly string[] = Object.keys(API_VERSIONS),
): ApiVersionTraits | ApiVersionRefusal {
  const asked = query.getAll('api-version');
  const refuse = (message: string): ApiVersionRefusal => ({
    status: 400,
    code: 'QueryParameterError',
    message: `${message} Please use one of the following versions: ${offered.join(',')}`,
  });
  if (asked.length === 0) return refuse('The api-version query parameter is required.');
  const unknown = asked.find((version) => !offered.includes(version));
  if (unknown !== undefined) return refuse(`Parsed api-version ${unknown} is not available.`);
  return API_VERSIONS[[...asked].sort().at(-1)!];
}

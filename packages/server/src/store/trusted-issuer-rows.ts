import type { TrustedIssuerConfig, TrustedIssuerRecord } from '../federation/trusted-issuer.js';

/** The trusted_issuers table, as both SQL backends have it. */
export interface TrustedIssuerRow {
  id: string;
  issuer: string;
  config: string;
  created_at: number | string;
  updated_at: number | string;
}

export function fromTrustedIssuerRow(row: TrustedIssuerRow): TrustedIssuerRecord {
  return {
    id: row.id,
    config: JSON.parse(row.config) as TrustedIssuerConfig,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

/** The row's columns: `issuer` apart, so the database keeps it unique. */
export function trustedIssuerParams(r: TrustedIssuerRecord) {
  return {
    id: r.id,
    issuer: r.config.issuer,
    config: JSON.stringify(r.config),
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  };
}

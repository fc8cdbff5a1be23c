import type { ClientRecord } from '../clients/client.js';
import { METADATA_FIELDS, METADATA_NAMES, type MetadataField } from '../clients/metadata-fields.js';

/**
 * The client as the admin API shows it: RFC 7591 names, and only the fields
 * of the metadata table plus the registration ones, so no secret or hash can
 * be serialised by accident (the routes' response schemas enforce the same).
 */
export function clientView(c: ClientRecord, secret?: string): Record<string, unknown> {
  const view: Record<string, unknown> = { client_id: c.clientId };
  if (secret !== undefined) {
    view.client_secret = secret;
    view.client_secret_expires_at = 0;
  }
  const metadata = c.metadata as Record<string, unknown>;
  for (const name of METADATA_NAMES) {
    // A client stored before a field existed has its default.
    const value = metadata[name] ?? (METADATA_FIELDS[name] as MetadataField).default;
    if (value !== undefined) view[name] = value;
  }
  view.client_id_issued_at = Math.floor(c.createdAt / 1000);
  view.updated_at = Math.floor(c.updatedAt / 1000);
  return view;
}

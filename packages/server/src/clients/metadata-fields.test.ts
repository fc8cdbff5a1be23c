import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLIENT_PROPERTIES, CLIENT_REQUIRED, METADATA_PROPERTIES } from '../admin/client-schemas.js';
import { clientView } from '../admin/client-view.js';
import type { ClientMetadata } from './client.js';
import { defaultMetadata, METADATA_FIELDS, METADATA_NAMES, type MetadataField } from './metadata-fields.js';

describe('the client metadata table', () => {
  it('gives every always-shown field a default its own schema accepts unchanged', () => {
    for (const name of METADATA_NAMES) {
      const f = METADATA_FIELDS[name] as MetadataField;
      if (f.view !== 'always') {
        assert.equal(f.default, undefined, name);
        continue;
      }
      assert.deepEqual(f.schema.parse(f.default), f.default, name);
    }
  });

  it('hands out fresh defaults: one client cannot change another one’s', () => {
    const a = defaultMetadata();
    a.audience?.push('x');
    assert.deepEqual(defaultMetadata().audience, []);
  });

  it('is the only list of fields: OpenAPI and the view show exactly its fields plus the registration ones', () => {
    assert.deepEqual(Object.keys(METADATA_PROPERTIES), METADATA_NAMES);
    assert.deepEqual(Object.keys(CLIENT_PROPERTIES).sort(), [
      ...[...METADATA_NAMES, 'client_id', 'client_id_issued_at', 'updated_at'].sort(),
    ]);
    for (const name of METADATA_NAMES) {
      assert.equal(CLIENT_REQUIRED.includes(name), METADATA_FIELDS[name].view === 'always', name);
    }
  });

  it('never shows anything outside the table, whatever the stored metadata holds', () => {
    const metadata = { ...defaultMetadata(), secret_hash: 'hmac:x', sealed: 'v1.x' } as unknown as ClientMetadata;
    const view = clientView({ clientId: 'c', metadata, createdAt: 0, updatedAt: 0 });
    assert.deepEqual(Object.keys(view).sort(), [...CLIENT_REQUIRED].sort());
    assert.ok(!JSON.stringify(view).includes('hmac'));
  });

  it('shows the default of an always-shown field a client stored before the field existed', () => {
    const { claims: _claims, ...older } = defaultMetadata();
    const view = clientView({ clientId: 'c', metadata: older as ClientMetadata, createdAt: 0, updatedAt: 0 });
    assert.deepEqual(view.claims, {});
  });
});

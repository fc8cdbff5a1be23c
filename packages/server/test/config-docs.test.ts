import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { CONFIG_DOCS_PATH, renderConfigDocs } from '../../../scripts/gen-config-docs.js';
import { options } from '../src/config/options.js';

/** docs/configuration.md is generated from config/options.ts; a stale copy fails here. */
describe('docs/configuration.md', () => {
  it('is exactly what scripts/gen-config-docs.ts generates', () => {
    const committed = readFileSync(CONFIG_DOCS_PATH, 'utf8');
    assert.equal(
      committed,
      renderConfigDocs(),
      'docs/configuration.md is stale: run `node --import tsx scripts/gen-config-docs.ts` and commit the result',
    );
  });

  it('lists every setting, with its default', () => {
    const text = renderConfigDocs();
    for (const o of Object.values(options)) {
      const row = text.split('\n').find((l) => l.startsWith(`| \`${o.env}\` |`));
      assert.ok(row, `${o.env} is documented`);
      if (o.default !== undefined) assert.ok(row.endsWith(`| \`${o.default}\` |`), `${o.env} shows its default`);
    }
  });
});

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { isStoreUnavailable, StoreUnavailableError } from './store-errors.js';

it('tells an unavailable store from a bug', () => {
  const coded = (code: string) => Object.assign(new Error('x'), { code });
  for (const e of [
    new StoreUnavailableError('down'),
    coded('SQLITE_BUSY'),
    coded('SQLITE_IOERR_WRITE'),
    coded('ECONNREFUSED'),
    coded('08006'),
    coded('57P01'),
    coded('53300'),
    new Error('timeout exceeded when trying to connect'),
    new Error('Connection terminated unexpectedly'),
  ]) {
    assert.equal(isStoreUnavailable(e), true, String((e as { code?: string }).code ?? e.message));
  }
  for (const e of [
    new Error('boom'),
    coded('SQLITE_CONSTRAINT_PRIMARYKEY'),
    coded('23505'),
    coded('42P01'),
    null,
    'x',
  ]) {
    assert.equal(isStoreUnavailable(e), false, String(e));
  }
});

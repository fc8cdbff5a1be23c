import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { sealerKeyId } from './sealer.js';

export interface LoadedKey {
  key: Buffer;
  /** Where the key came from, for the start-up log (never the key itself). */
  source: 'environment' | 'file' | 'generated' | 'ephemeral';
}

/**
 * The master key: from TESSERA_ENCRYPTION_KEY, else from `keyFile`, else
 * generated into `keyFile` with mode 0600. It lives outside the database on
 * purpose: a copy of the database alone must reveal no private key.
 * `keyFile` undefined (in-memory databases) yields a throwaway key.
 */
export function loadEncryptionKey(fromEnv: string | undefined, keyFile: string | undefined): LoadedKey {
  if (fromEnv) return { key: Buffer.from(fromEnv, 'base64url'), source: 'environment' };
  if (!keyFile) return { key: randomBytes(32), source: 'ephemeral' };
  try {
    const text = readFileSync(keyFile, 'utf8').trim();
    const key = Buffer.from(text, 'base64url');
    if (key.length !== 32) throw new Error(`${keyFile} does not hold a 32-byte base64url key`);
    if ((statSync(keyFile).mode & 0o077) !== 0) chmodSync(keyFile, 0o600);
    return { key, source: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // 'wx': never overwrite a key another process wrote a moment ago.
  try {
    writeFileSync(keyFile, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadEncryptionKey(undefined, keyFile);
    throw err;
  }
  return { key, source: 'generated' };
}

/**
 * The keys accepted besides the current one while it is being rotated
 * (TESSERA_ENCRYPTION_KEY_PREVIOUS). The current key among them is refused:
 * it is a copy-paste slip that would leave the key being retired out of the
 * ring. Only key ids appear in the message, never a key.
 */
export function previousKeys(current: Buffer, configured: readonly string[] | undefined): Buffer[] {
  const keys = (configured ?? []).map((k) => Buffer.from(k, 'base64url'));
  if (keys.some((k) => k.equals(current))) {
    throw new Error(
      `TESSERA_ENCRYPTION_KEY_PREVIOUS lists the current encryption key (${sealerKeyId(current)}): list only the keys being retired`,
    );
  }
  return keys;
}

/**
 * Device and user credentials: the bridge stores only salted scrypt hashes,
 * written as a PHC-like string so the cost travels with the hash and can be
 * raised later without breaking old entries:
 *
 *   $scrypt$ln=14,r=8,p=1$<salt, base64 no padding>$<hash, base64 no padding>
 *
 * (ln = log2 of scrypt's N.) Fleet provisioning calls `hashCredential` when it
 * issues a device its secret; the bridge calls `verifyCredential` at CONNECT.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { KotsError } from '../../core/errors.js';

export interface ScryptCost {
  /** log2(N). 14 = 16 MiB and ~30-60 ms per check on a small server: a reconnect storm of 10,000 devices costs minutes of CPU, not hours. */
  ln: number;
  r: number;
  p: number;
}

export const DEFAULT_SCRYPT_COST: ScryptCost = { ln: 14, r: 8, p: 1 };
const SALT_BYTES = 16;
const KEY_BYTES = 32;
const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]{16,})\$([A-Za-z0-9+/]{32,})$/;

function scryptAsync(secret: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scrypt(secret.normalize('NFC'), salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))));
}

function scryptOptions(cost: ScryptCost): ScryptOptions {
  const N = 2 ** cost.ln;
  // Node refuses by default above 32 MiB; allow what the cost needs (128 * N * r bytes) plus slack.
  return { N, r: cost.r, p: cost.p, maxmem: 128 * N * cost.r * 2 + 1024 * 1024 };
}

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

/** Hashes a secret with a fresh random salt; store the returned string, never the secret. */
export async function hashCredential(secret: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  if (secret.length < 8) throw new KotsError('USAGE', 'a credential must be at least 8 characters long');
  if (cost.ln < 10 || cost.ln > 22) throw new KotsError('USAGE', `scrypt cost ln=${cost.ln} is outside 10..22`);
  const salt = randomBytes(SALT_BYTES);
  const key = await scryptAsync(secret, salt, KEY_BYTES, scryptOptions(cost));
  return `$scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${b64(salt)}$${b64(key)}`;
}

/** True when the string is a credential hash this module can check. */
export function isCredentialHash(value: string): boolean {
  const m = PHC.exec(value);
  return m !== null && Number(m[1]) >= 10 && Number(m[1]) <= 22;
}

/** Checks a secret against a stored hash in constant time. A malformed hash never matches. */
export async function verifyCredential(secret: string, hash: string): Promise<boolean> {
  const m = PHC.exec(hash);
  if (!m) return false;
  const cost = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (cost.ln < 10 || cost.ln > 22 || cost.r < 1 || cost.p < 1) return false;
  const salt = Buffer.from(m[4]!, 'base64');
  const expected = Buffer.from(m[5]!, 'base64');
  const actual = await scryptAsync(secret, salt, expected.length, scryptOptions(cost));
  return timingSafeEqual(actual, expected);
}

/** A new random device secret (URL-safe, 32 characters, 192 bits). */
export function generateCredential(): string {
  return randomBytes(24).toString('base64url');
}

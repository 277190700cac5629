/**
 * Device and user credentials. The registry stores only hashes, written as
 * PHC-like strings so the method travels with the hash:
 *
 *   $scrypt$ln=14,r=8,p=1$<salt>$<hash>      people's passwords (operators, dashboard)
 *   $hmac-sha256$<salt>$<mac>                machine-made device secrets (192 random bits)
 *
 * (base64 without padding; ln = log2 of scrypt's N.) A slow hash exists to
 * make guessing a *weak* secret expensive after the registry leaks. A device
 * secret is 192 random bits: nobody can guess it, slow hash or not, so scrypt
 * protected nothing there and cost ~70 ms of CPU per CONNECT (minutes for a
 * fleet reconnecting after a bridge restart). Device secrets are therefore
 * checked with HMAC-SHA256 keyed by a random per-entry salt (a few µs): the
 * registry reveals nothing usable (preimage resistance; the salt defeats any
 * table across registries), and a verify is constant-time. Existing scrypt
 * entries keep working; a device moves to the fast hash when its secret is
 * next issued (`kots fleet rotate`). `hashDeviceCredential` refuses a secret
 * that is not machine-made, so a person's password never gets the fast hash.
 */
import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
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
const HMAC = /^\$hmac-sha256\$([A-Za-z0-9+/]{22})\$([A-Za-z0-9+/]{43})$/;
/** What generateCredential makes: 32 base64url characters = 192 bits. */
const MACHINE_SECRET = /^[A-Za-z0-9_-]{32,}$/;
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

const hmac = (secret: string, salt: Buffer) => createHmac('sha256', salt).update(secret, 'utf8').digest();

/** Hashes a machine-made device secret (generateCredential) with the fast keyed hash; refuses anything weaker. */
export function hashDeviceCredential(secret: string): string {
  if (!MACHINE_SECRET.test(secret))
    throw new KotsError(
      'USAGE',
      'the fast device hash is only for machine-made secrets of at least 32 base64url characters (generateCredential); use hashCredential for passwords',
    );
  const salt = randomBytes(SALT_BYTES);
  return `$hmac-sha256$${b64(salt)}$${b64(hmac(secret, salt))}`;
}

/** True when the string is a credential hash this module can check. */
export function isCredentialHash(value: string): boolean {
  if (HMAC.test(value)) return true;
  const m = PHC.exec(value);
  return m !== null && Number(m[1]) >= 10 && Number(m[1]) <= 22;
}

/** Checks a secret against a stored hash in constant time. A malformed hash never matches. */
export async function verifyCredential(secret: string, hash: string): Promise<boolean> {
  const [, hmacSalt, hmacDigest] = HMAC.exec(hash) ?? [];
  if (hmacSalt !== undefined && hmacDigest !== undefined)
    return timingSafeEqual(hmac(secret, Buffer.from(hmacSalt, 'base64')), Buffer.from(hmacDigest, 'base64'));
  const [, ln, r, p, salt64, hash64] = PHC.exec(hash) ?? [];
  if (salt64 === undefined || hash64 === undefined) return false;
  const cost = { ln: Number(ln), r: Number(r), p: Number(p) };
  if (cost.ln < 10 || cost.ln > 22 || cost.r < 1 || cost.p < 1) return false;
  const salt = Buffer.from(salt64, 'base64');
  const expected = Buffer.from(hash64, 'base64');
  const actual = await scryptAsync(secret, salt, expected.length, scryptOptions(cost));
  return timingSafeEqual(actual, expected);
}

/** A new random device secret (URL-safe, 32 characters, 192 bits). */
export function generateCredential(): string {
  return randomBytes(24).toString('base64url');
}

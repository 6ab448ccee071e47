import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh random token for one helper instance (256 bits, URL-safe). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Constant-time token comparison. Both sides are hashed first so that the
 * comparison takes the same time whatever the length of the offered token.
 */
export function tokensEqual(expected: string, offered: string): boolean {
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(offered, 'utf8').digest();
  return timingSafeEqual(a, b) && expected.length > 0;
}

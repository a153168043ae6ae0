import { createHash } from 'crypto';

/**
 * A short, fixed-length stand-in for a long key (a dedupe key such as `message:wamid.HBgL…`, ~70
 * characters, or a message id), so that what is kept in memory and in the workflow's static data
 * costs 12 characters a key, whatever Meta's ids look like, and carries no phone number or message
 * id in clear.
 *
 * 72 bits of SHA-256: the chance that two of 100,000 remembered keys share a digest is about
 * 1 in 10^12, far below the chance of any other failure in the path.
 */
export const DIGEST_LENGTH = 12;

export function digestKey(key: string): string {
	return createHash('sha256').update(key).digest('base64url').slice(0, DIGEST_LENGTH);
}

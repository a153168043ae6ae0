/**
 * Secrets read recently, per credential id, for a short time. n8n decrypts a credential on every
 * `getCredentials` call, which takes tens of milliseconds (measured: 82 ms of a 112 ms acknowledgement);
 * a webhook that checks every request's signature would pay it on every request.
 *
 * Callers verify with the remembered secret and, when that fails, read the credential again and verify
 * once more, so a rotated secret is used from the first request signed with it. A request signed with
 * the old secret is still accepted until the remembered one expires (`ttlMs`).
 */
export class RecentSecrets {
	private readonly secrets = new Map<string, { secret: string; until: number }>();

	constructor(private readonly ttlMs: number) {}

	get(credentialId: string, now: number): string | undefined {
		const entry = this.secrets.get(credentialId);
		if (!entry || entry.until <= now) {
			this.secrets.delete(credentialId);
			return undefined;
		}
		return entry.secret;
	}

	set(credentialId: string, secret: string, now: number): void {
		this.secrets.set(credentialId, { secret, until: now + this.ttlMs });
	}
}

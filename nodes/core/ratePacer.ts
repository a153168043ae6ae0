/**
 * A ceiling on how many calls start per second: a token bucket. Tokens refill at `perSecond` up to
 * `burst`; each call takes one, and a call that finds none is told how long to wait for its turn
 * (the bucket goes below zero, so concurrent callers queue in the order they asked). After a stall
 * the bucket holds at most `burst` tokens: a backlog leaves at the rate, not at once. With the
 * default burst of 1, starts are spaced 1/perSecond apart, so no second holds more than the ceiling.
 * No clock of its own: the caller passes `now`.
 */
export class RatePacer {
	private tokens: number;
	private last: number | undefined;

	constructor(
		private perSecond: number,
		private burst = 1,
	) {
		this.tokens = this.capacity();
	}

	/** Changes the rate (an edited node); what is already reserved stays reserved. */
	configure(perSecond: number, burst = this.burst): void {
		this.perSecond = perSecond;
		this.burst = burst;
		this.tokens = Math.min(this.tokens, this.capacity());
	}

	get rate(): number {
		return this.perSecond;
	}

	/** Takes a token at `now`; returns how many milliseconds to wait before starting (0: start now). */
	reserve(now: number): number {
		if (!this.limited()) return 0;
		if (this.last !== undefined && now > this.last) {
			this.tokens = Math.min(
				this.capacity(),
				this.tokens + ((now - this.last) * this.perSecond) / 1000,
			);
		}
		this.last = Math.max(now, this.last ?? now);
		this.tokens -= 1;
		return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens * 1000) / this.perSecond);
	}

	private limited(): boolean {
		return this.perSecond > 0 && Number.isFinite(this.perSecond);
	}

	private capacity(): number {
		return Math.max(1, Math.floor(this.burst));
	}
}

/**
 * Pacers by key (a workflow and a node), so every execution of that node in this process shares one
 * ceiling. Not persisted: a pacer is only about the next second.
 */
export class RatePacers {
	private readonly pacers = new Map<string, RatePacer>();

	get(key: string, perSecond: number): RatePacer {
		let pacer = this.pacers.get(key);
		if (!pacer) {
			pacer = new RatePacer(perSecond);
			this.pacers.set(key, pacer);
		} else if (pacer.rate !== perSecond) {
			pacer.configure(perSecond);
		}
		return pacer;
	}

	get size(): number {
		return this.pacers.size;
	}
}

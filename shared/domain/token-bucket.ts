/** Size of a token bucket: how many calls may go at once, and how many more each second after that. */
export interface BucketSize {
  burst: number;
  refillPerSecond: number;
}

/**
 * The token bucket EC2 documents for its API throttling, on an injected clock (milliseconds). `reserve`
 * books the next token even when the bucket is empty and answers how long to wait for it, so callers
 * queue in order and a late timer never shifts the schedule of the calls behind it.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly size: BucketSize,
    now: number,
  ) {
    if (!(size.burst > 0) || !(size.refillPerSecond > 0)) {
      throw new RangeError(`a token bucket needs a positive burst and refill rate, not ${size.burst}/${size.refillPerSecond}`);
    }
    this.tokens = size.burst;
    this.updatedAt = now;
  }

  private refill(now: number): void {
    if (now > this.updatedAt) {
      this.tokens = Math.min(this.size.burst, this.tokens + ((now - this.updatedAt) / 1000) * this.size.refillPerSecond);
      this.updatedAt = now;
    }
  }

  /** Tokens in the bucket at `now` (negative while calls wait for tokens already booked). */
  available(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** Books one token and answers the milliseconds to wait before using it (0 when one is there now). */
  reserve(now: number): number {
    this.refill(now);
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.size.refillPerSecond) * 1000;
  }

  /** Takes one token if there is one now, as the service does on arrival; false means throttled. */
  tryTake(now: number): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

// The retry policy, as small pure functions (like got's calculate-retry-delay.ts): which requests may be retried
// and how long to wait. Only idempotent reads are retried (DESIGN.md "Errors": never POST or DELETE — a
// repeated create is a second instance); delays stay short because a gateway request has its own deadline.

export const RETRY_STATUS_CODES = [502, 503, 504];
export const RETRY_ERROR_CODES = ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH'];
export const RETRY_METHODS = ['GET', 'HEAD'] as const;

/** How many retries a request gets: the upstream's configured number for GET and HEAD, none for anything else. */
export function retryLimit(method: string, configuredRetries: number): number {
  return (RETRY_METHODS as readonly string[]).includes(method.toUpperCase()) ? configuredRetries : 0;
}

/**
 * got's calculateDelay: `computedValue` is 0 when got has decided not to retry (limit reached, method or status
 * not retryable); otherwise wait 25 ms per attempt so far, at most 200 ms.
 */
export function retryDelayMs({ attemptCount, computedValue }: { attemptCount: number; computedValue: number }): number {
  return computedValue === 0 ? 0 : Math.min(25 * attemptCount, 200);
}

// Money without floats: prices are kept in micro-units of their currency (1e-6 EUR, an integer), charges are
// computed as exact rationals in BigInt (price × quantity × seconds over the unit's length) and rounded once per
// line, half up, to the currency's minor unit (cents). Amounts leave the service as decimal strings ("12.50"),
// so no client ever sees a binary float (https://www.apollographql.com/docs/graphos/schema-design/guides/money
// and the usual advice: never store money in IEEE 754).

export const MICROS_PER_UNIT = 1_000_000n;
const MICROS_PER_CENT = 10_000n;

/** A decimal string of `value / 10^scale`, e.g. decimal(1250n, 2) = "12.50". */
export function decimal(value: bigint, scale: number): string {
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** `numerator / denominator` rounded half up (both non-negative). */
export function divRound(numerator: bigint, denominator: bigint): bigint {
  return (numerator * 2n + denominator) / (denominator * 2n);
}

/** Cents of an exact charge `micros × factor / divisor`, rounded once, half up. */
export function centsOf(microsTimesFactor: bigint, divisor: bigint): bigint {
  return divRound(microsTimesFactor, divisor * MICROS_PER_CENT);
}

/** A price in micro-units as the shortest decimal with at least two places ("0.0125", "3.00"). */
export function priceString(micros: bigint): string {
  const full = decimal(micros, 6);
  return full.replace(/(\.\d\d\d*?)0+$/, '$1');
}

export interface Money {
  amount: string;
  currency: string;
}

export const money = (cents: bigint, currency: string): Money => ({ amount: decimal(cents, 2), currency });

/** "YYYY-MM" → the month's first instant and the next month's, in UTC. */
export function monthRange(month: string): { start: Date; end: Date } | null {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m) return null;
  const year = Number(m[1]);
  const index = Number(m[2]) - 1;
  return { start: new Date(Date.UTC(year, index, 1)), end: new Date(Date.UTC(year, index + 1, 1)) };
}

/** The current month as "YYYY-MM" (UTC). */
export const currentMonth = (now: Date): string => now.toISOString().slice(0, 7);

// Invoice arithmetic of the billing subgraph (README "Federated subgraphs", issue #11 "Billing figures exact"),
// against the real service over HTTP with its data in FerretDB: records inserted into its database, bills asked
// for with a signed administrator identity, and every amount compared with a brute-force computation written
// here in BigInt micro-units (independent of billing's money.ts / usage.ts: its own interval overlap and rounding).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongoSkipReason, openTestDb, type TestDb } from '../helpers/mongo.ts';
import { seedBilling, startBillingSubgraph, type BillingServer } from '../../subgraphs/billing/server.ts';
import { pricesOf, type PriceDoc } from '../../subgraphs/billing/prices.ts';
import { usageOf, type UsageDoc } from '../../subgraphs/billing/usage.ts';
import { buildCloud } from '../../subgraphs/seed/build-cloud.ts';
import { identityHeaders } from '../../server/federation/caller-identity.ts';

const SECRET = 'billing-arithmetic-secret-0123456789';
const HOUR = 3_600_000;
const JAN = { start: Date.UTC(2026, 0, 1), end: Date.UTC(2026, 1, 1) };
const utc = (iso: string) => new Date(iso);

interface Lifetime {
  start: number;
  end: number | null;
}
interface PriceEntry {
  micros: bigint;
  from: number;
}

/**
 * Cents charged for `size` units over [from, to) of a lifetime, by brute force: every price entry's own interval
 * [its effectiveFrom, the next one's) intersected with the lifetime and the window, micro-units × size × ms summed,
 * then one division by the unit (an hour, or 730 hours for a GB-month) and 10 000 micro-units a cent, half up.
 */
function bruteCents(prices: PriceEntry[], unitMs: number, size: number, life: Lifetime, from: number, to: number, now = Date.now()): bigint {
  const sorted = [...prices].sort((a, b) => a.from - b.from);
  let sum = 0n;
  sorted.forEach((p, i) => {
    const lo = Math.max(p.from, life.start, from);
    const hi = Math.min(i + 1 < sorted.length ? sorted[i + 1].from : Number.MAX_SAFE_INTEGER, life.end ?? now, to, now);
    if (hi > lo) sum += p.micros * BigInt(size) * BigInt(hi - lo);
  });
  const den = BigInt(unitMs) * 10_000n;
  const whole = sum / den;
  return (sum % den) * 2n >= den ? whole + 1n : whole;
}

/** "12.34" → 1234n: parsed as a string, never through a float. */
function centsOfString(amount: unknown): bigint {
  expect(typeof amount).toBe('string');
  const m = /^(\d+)\.(\d\d)$/.exec(amount as string);
  expect(m, String(amount)).not.toBeNull();
  return BigInt(m![1]) * 100n + BigInt(m![2]);
}
const amountOf = (cents: bigint) => `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
/** "0.0125" → 12500n micro-units. */
const microsOf = (price: string) => {
  const [whole, fraction = ''] = price.split('.');
  return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
};

describe.skipIf(mongoSkipReason)('billing invoice arithmetic', () => {
  let db: TestDb;
  let billing: BillingServer;

  /** One GraphQL request to billing as an administrator; the raw text too, to see how amounts are written. */
  async function ask(query: string, variables: Record<string, unknown> = {}): Promise<{ body: any; text: string }> {
    const res = await fetch(billing.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...identityHeaders(SECRET, { userId: 'admin', projectId: 'admin', roles: ['admin'] }) },
      body: JSON.stringify({ query, variables }),
    });
    const text = await res.text();
    return { body: JSON.parse(text), text };
  }
  const BILL = `query($p: ID!, $m: String!) { invoices(projectId: $p, month: $m) { projectId month total { amount currency }
    lines { resourceId kind quantity unit unitPrice { amount } amount { amount currency } } } }`;
  const billOf = async (projectId: string, month = '2026-01') => {
    const { body, text } = await ask(BILL, { p: projectId, m: month });
    expect(body.errors).toBeUndefined();
    return { bill: body.data.invoices[0], text };
  };

  const price = (kind: PriceDoc['kind'], key: string, micros: number, effectiveFrom: string, unit: PriceDoc['unit'] = 'hour'): PriceDoc => ({
    _id: `${kind}:${key}:${effectiveFrom}`,
    kind,
    key,
    unit,
    micros,
    currency: 'EUR',
    effectiveFrom: utc(effectiveFrom),
  });
  const usage = (id: string, projectId: string, kind: UsageDoc['kind'], priceKey: string, start: string, end: string | null, size = 1): UsageDoc => ({
    _id: id,
    kind,
    projectId,
    name: id,
    priceKey,
    size,
    start: utc(start),
    end: end ? utc(end) : null,
  });

  const PRICES: PriceDoc[] = [
    price('FLAVOR', 't.half', 1_235_000, '2024-01-01T00:00:00Z'), // 1.235 EUR an hour: exactly x.xx5 for one hour
    price('FLAVOR', 't.under', 1_234_999, '2024-01-01T00:00:00Z'),
    price('FLAVOR', 't.dime', 100_000, '2024-01-01T00:00:00Z'),
    price('FLAVOR', 't.change', 10_000, '2024-01-01T00:00:00Z'),
    price('FLAVOR', 't.change', 13_337, '2026-01-15T12:00:00Z'), // a price change within January
    price('VOLUME', 'ssd/CINDER', 120_000, '2024-01-01T00:00:00Z', 'GB-month'),
    price('FLOATING_IP', 'floating-ip', 5_000, '2024-01-01T00:00:00Z'),
  ];
  const USAGE: UsageDoc[] = [
    usage('half-hour-exact', 'p-round', 'FLAVOR', 't.half', '2026-01-05T00:00:00Z', '2026-01-05T01:00:00Z'),
    usage('under-by-a-ms', 'p-round', 'FLAVOR', 't.half', '2026-01-05T00:00:00Z', '2026-01-05T00:59:59.999Z'),
    usage('under-price', 'p-round', 'FLAVOR', 't.under', '2026-01-06T00:00:00Z', '2026-01-06T01:00:00Z'),
    usage('dime', 'p-round', 'FLAVOR', 't.dime', '2026-01-07T00:00:00Z', '2026-01-07T01:00:00Z'),
    usage('whole-month', 'p-change', 'FLAVOR', 't.change', '2025-06-01T00:00:00Z', null),
    usage('across-change', 'p-change', 'FLAVOR', 't.change', '2026-01-14T07:13:21.417Z', '2026-01-17T19:02:03.001Z'),
    usage('created-mid-month', 'p-life', 'FLAVOR', 't.change', '2026-01-20T09:30:00Z', null),
    usage('deleted-mid-month', 'p-life', 'FLAVOR', 't.dime', '2025-11-03T00:00:00Z', '2026-01-09T16:20:00Z'),
    usage('volume-both-mid-month', 'p-life', 'VOLUME', 'ssd/CINDER', '2026-01-10T06:30:00Z', '2026-01-20T17:45:00Z', 37),
    usage('fip-before-january', 'p-life', 'FLOATING_IP', 'floating-ip', '2025-12-01T00:00:00Z', '2025-12-31T00:00:00Z'),
  ];
  /** The brute-force cents of one of the records above, in January. */
  const expected = (id: string, from = JAN.start, to = JAN.end) => {
    const u = USAGE.find((x) => x._id === id)!;
    const list = PRICES.filter((p) => p.kind === u.kind && p.key === u.priceKey);
    const unitMs = list[0].unit === 'hour' ? HOUR : 730 * HOUR;
    const life = { start: u.start.getTime(), end: u.end?.getTime() ?? null };
    return bruteCents(
      list.map((p) => ({ micros: BigInt(p.micros), from: p.effectiveFrom.getTime() })),
      unitMs,
      u.size,
      life,
      from,
      to,
    );
  };

  beforeAll(async () => {
    db = await openTestDb('billing_arith');
    await pricesOf(db.db).insertMany(PRICES);
    await usageOf(db.db).insertMany(USAGE);
    billing = await startBillingSubgraph({ db: db.db, secret: SECRET });
  });
  afterAll(async () => {
    await billing?.close();
    await db?.close();
  });

  it('rounds a line half up to the cent: x.xx5 exactly goes up, a millisecond or a micro-unit under goes down', async () => {
    const { bill } = await billOf('p-round');
    const amount = new Map(bill.lines.map((l: any) => [l.resourceId, l.amount.amount]));
    expect(amount.get('half-hour-exact')).toBe('1.24'); // 1.235 EUR
    expect(amount.get('under-by-a-ms')).toBe('1.23'); // 1.2349996… EUR
    expect(amount.get('under-price')).toBe('1.23'); // 1.234999 EUR
    for (const id of ['half-hour-exact', 'under-by-a-ms', 'under-price', 'dime']) expect(amount.get(id)).toBe(amountOf(expected(id)));
  });

  it('writes money as decimal strings, never floats ("0.10", not 0.1)', async () => {
    const { bill, text } = await billOf('p-round');
    const dime = bill.lines.find((l: any) => l.resourceId === 'dime');
    expect(dime.amount).toEqual({ amount: '0.10', currency: 'EUR' });
    expect(dime.unitPrice.amount).toBe('0.10');
    expect(text).toContain('"amount":"0.10"');
    // No amount anywhere in the answer is a JSON number.
    expect(text).not.toMatch(/"amount":\s*-?\d/);
    const { text: prices } = await ask('{ prices { key price { amount currency } } }');
    expect(prices).toContain('"amount":"1.235"');
    expect(prices).not.toMatch(/"amount":\s*-?\d/);
  });

  it('splits a line at a price change within the month, each part at its price, the total exact', async () => {
    const { bill } = await billOf('p-change');
    const whole = bill.lines.find((l: any) => l.resourceId === 'whole-month');
    // 14.5 days at 0.01 then 16.5 days at 0.013337 an hour: 348 h × 10 000 + 396 h × 13 337 micro-units.
    expect(expected('whole-month')).toBe((348n * 10_000n + 396n * 13_337n + 5_000n) / 10_000n);
    expect(whole.amount.amount).toBe(amountOf(expected('whole-month')));
    expect(whole.quantity).toBe('744.0000');
    expect(whole.unitPrice.amount).toBe('0.013337'); // the price in force at the end of the billed time
    const across = bill.lines.find((l: any) => l.resourceId === 'across-change');
    expect(across.amount.amount).toBe(amountOf(expected('across-change')));
    // The same resource's cost over each side of the change, through _entities, is each part on its own.
    const change = Date.UTC(2026, 0, 15, 12);
    const { body } = await ask(
      `query($r: [_Any!]!, $a: BillingPeriod!, $b: BillingPeriod!) { _entities(representations: $r) { ... on Instance {
        before: cost(period: $a) { amount } after: cost(period: $b) { amount } } } }`,
      {
        r: [{ __typename: 'Instance', uuid: 'whole-month' }],
        a: { from: new Date(JAN.start).toISOString(), to: new Date(change).toISOString() },
        b: { from: new Date(change).toISOString(), to: new Date(JAN.end).toISOString() },
      },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data._entities[0].before.amount).toBe(amountOf(expected('whole-month', JAN.start, change))); // 3.48
    expect(body.data._entities[0].after.amount).toBe(amountOf(expected('whole-month', change, JAN.end)));
    expect(bill.total.amount).toBe(amountOf(expected('whole-month') + expected('across-change')));
  });

  it('bills resources created or deleted mid-month for their partial hours only, and nothing outside the month', async () => {
    const { bill } = await billOf('p-life');
    const byId = new Map<string, any>(bill.lines.map((l: any) => [l.resourceId, l]));
    expect([...byId.keys()].sort()).toEqual(['created-mid-month', 'deleted-mid-month', 'volume-both-mid-month']); // the Dec IP: no line
    for (const id of byId.keys()) expect((byId.get(id) as any).amount.amount, id).toBe(amountOf(expected(id)));
    expect((byId.get('deleted-mid-month') as any).quantity).toBe('208.3333'); // 8 days 16 h 20 min
    expect((byId.get('created-mid-month') as any).quantity).toBe('278.5000'); // 20th 09:30 → 1 Feb
    expect((byId.get('deleted-mid-month') as any).amount.amount).toBe('20.83');
  });

  it("makes a bill's total the sum of its lines, each rounded once", async () => {
    for (const project of ['p-round', 'p-change', 'p-life']) {
      const { bill } = await billOf(project);
      expect(bill.lines.length).toBeGreaterThan(0);
      const sum = bill.lines.reduce((n: bigint, l: any) => n + centsOfString(l.amount.amount), 0n);
      expect(centsOfString(bill.total.amount), project).toBe(sum);
      expect(bill.total.currency).toBe('EUR');
    }
    // 1.24 + 1.23 + 1.23 + 0.10: the lines rounded one by one (exactly 1.235 + 1.2349996… + 1.234999 + 0.10).
    expect((await billOf('p-round')).bill.total.amount).toBe('3.80');
  });

  it("matches a brute-force computation to the cent for every project's bill on the medium cloud", async () => {
    const cloud = buildCloud({ size: 'medium' });
    const mediumDb = db.sibling('medium');
    const seededAt = Date.now();
    await seedBilling(mediumDb, cloud);
    const seedMs = Date.now() - seededAt;
    const medium = await startBillingSubgraph({ db: mediumDb, secret: SECRET });
    try {
      const month = '2025-12';
      const [from, to] = [Date.UTC(2025, 11, 1), Date.UTC(2026, 0, 1)];
      const headers = { 'content-type': 'application/json', ...identityHeaders(SECRET, { userId: 'admin', projectId: 'admin', roles: ['admin'] }) };
      const post = async (query: string, variables = {}) =>
        (await (await fetch(medium.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) })).json()) as any;
      // The price list as billing publishes it (its data, not its code), parsed to micro-units.
      const priceList = (await post('{ prices { kind key unit price { amount } effectiveFrom } }')).data.prices as any[];
      const pricesFor = (kind: string, key: string) =>
        priceList
          .filter((p) => p.kind === kind && p.key === key)
          .map((p) => ({ micros: microsOf(p.price.amount), from: Date.parse(p.effectiveFrom) }));
      const flavorName = new Map(cloud.flavors.map((f) => [f.id, f.name]));
      const serverProject = new Map(cloud.servers.map((s) => [s.id, s.projectId]));
      const life = (d: Date): Lifetime => ({ start: d.getTime(), end: null });
      // Every resource's December charge, by project; a resource created after December has no line.
      const expectedLines = new Map<string, Map<string, string>>();
      const line = (projectId: string, id: string, created: Date, cents: bigint) => {
        if (created.getTime() >= to) return;
        if (!expectedLines.has(projectId)) expectedLines.set(projectId, new Map());
        expectedLines.get(projectId)!.set(id, amountOf(cents));
      };
      for (const s of cloud.servers)
        line(s.projectId, s.id, s.createdAt, bruteCents(pricesFor('FLAVOR', flavorName.get(s.flavorId)!), HOUR, 1, life(s.createdAt), from, to));
      for (const v of cloud.volumes)
        line(
          v.projectId,
          v.id,
          v.createdAt,
          bruteCents(pricesFor('VOLUME', `${v.volumeType}/CINDER`), 730 * HOUR, v.size, life(v.createdAt), from, to),
        );
      for (const d of cloud.legacyDisks.filter((x) => x.instanceUuid && serverProject.has(x.instanceUuid)))
        line(
          serverProject.get(d.instanceUuid!)!,
          `legacy:${d.id}`,
          d.createdAt,
          bruteCents(pricesFor('VOLUME', `${d.type}/LEGACY`), 730 * HOUR, d.sizeGb, life(d.createdAt), from, to),
        );
      for (const f of cloud.floatingIps)
        line(f.projectId, f.id, f.createdAt, bruteCents(pricesFor('FLOATING_IP', 'floating-ip'), HOUR, 1, life(f.createdAt), from, to));

      // Every project's bill at once (an administrator's invoices for the month).
      const asked = Date.now();
      const { data, errors } = await post(
        `query($m: String!) { invoices(month: $m) { projectId total { amount } lines { resourceId amount { amount } } } }`,
        { m: month },
      );
      const askMs = Date.now() - asked;
      expect(errors).toBeUndefined();
      const bills = data.invoices as any[];
      expect(bills.map((b) => b.projectId).sort()).toEqual([...expectedLines.keys()].sort());
      let lineCount = 0;
      for (const bill of bills) {
        const want = expectedLines.get(bill.projectId)!;
        const total = [...want.values()].reduce((n, a) => n + centsOfString(a), 0n);
        expect(bill.total.amount, bill.projectId).toBe(amountOf(total));
        expect(new Map(bill.lines.map((l: any) => [l.resourceId, l.amount.amount])), bill.projectId).toEqual(want);
        lineCount += bill.lines.length;
      }
      expect(lineCount).toBeGreaterThan(cloud.servers.length);
      console.info(
        `[billing medium] seeded ${cloud.servers.length} servers' usage in ${seedMs} ms; ${bills.length} bills, ${lineCount} lines, answered in ${askMs} ms`,
      );
    } finally {
      await medium.close();
    }
  }, 180_000);
});

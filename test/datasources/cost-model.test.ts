// The planner's cost model by expected time (datasources/planner/cost-model.ts, upstream-stats.ts): cold priors,
// what it learns from answered calls, and choices that flip the right way when a round trip or a record size
// changes — driven directly, as the HTTP client feeds it.
import { describe, expect, it } from 'vitest';
import { estimate, rank, type PlanCost } from '../../datasources/planner/cost-model.ts';
import { choose, type Candidate } from '../../datasources/planner/choose.ts';
import { CALL_CPU_MS, PRIORS, UpstreamStats } from '../../datasources/planner/upstream-stats.ts';
import { PlanTrace } from '../../datasources/planner/plan-trace.ts';

const perId = (n: number, concurrency = 16): PlanCost => ({
  service: 'cinder',
  kind: 'volume',
  calls: n,
  rounds: Math.ceil(n / concurrency),
  records: n,
});
const list = (records: number, pages = Math.floor(records / 1000) + 1): PlanCost => ({
  service: 'cinder',
  kind: 'volumes',
  calls: pages,
  rounds: pages,
  records,
});
const named = <T extends PlanCost>(name: string, plan: T): Candidate<string> => ({ ...plan, name, run: async () => name });

/** Feeds `n` answers of one upstream, as the HTTP client does after each call. */
function feed(stats: UpstreamStats, n: number, service: string, ms: number, bytes: number, body: unknown) {
  for (let i = 0; i < n; i++) stats.observe(service, ms, bytes, body);
}
const volumes = (count: number) => ({ volumes: Array.from({ length: count }, (_, i) => ({ id: `v${i}` })), volumes_links: [] });

describe('the cost model', () => {
  it('prices a plan as rounds × round trip + records × bytes per record × cost per byte + per-call CPU, from priors when cold', () => {
    const stats = new UpstreamStats();
    const e = estimate(list(634), stats);
    const perByte = PRIORS.wireMsPerByte + PRIORS.parseMsPerByte * 2;
    expect(e).toMatchObject({ calls: 1, rounds: 1, records: 634, bytes: 634 * PRIORS.bytesPerRecord });
    expect(e.expectedMs).toBeCloseTo(PRIORS.rttMs + 634 * PRIORS.bytesPerRecord * perByte + CALL_CPU_MS, 6);
  });

  it('fetches a few volumes by id in one parallel round rather than an 800 KB list', () => {
    expect(choose([named('all-volumes', list(634)), named('per-id', perId(2))]).name).toBe('per-id');
  });

  it('keeps the list when per-key GETs would take dozens of rounds', () => {
    expect(choose([named('per-id', perId(624)), named('all-volumes', list(634))]).name).toBe('all-volumes');
  });

  it('picks an already fetched list (0 calls, 0 records) over anything else', () => {
    expect(choose([named('per-id', perId(1)), named('all-volumes', { service: 'cinder', calls: 0, rounds: 0, records: 0 })]).name).toBe(
      'all-volumes',
    );
  });

  it('never picks a plan that cannot answer (Infinity calls)', () => {
    expect(choose([named('zone-lists', { calls: Infinity }), named('per-id', perId(400))]).name).toBe('per-id');
  });

  it('breaks a tie in time by fewer bytes, then by fewer calls, then by order', () => {
    const stats = new UpstreamStats();
    const same = { service: 'nova', kind: 'servers', rounds: 1 };
    expect(
      rank(
        [
          { ...same, calls: 1, records: 101 },
          { ...same, calls: 1, records: 100 },
        ],
        stats,
      ).best,
    ).toBe(1);
    // Three parallel zone lists vs one wide list of the same records: as soon within 2%, fewer calls wins.
    expect(
      rank(
        [
          { ...same, calls: 3, records: 300 },
          { ...same, calls: 1, records: 300 },
        ],
        stats,
      ).best,
    ).toBe(1);
    expect(
      rank(
        [
          { ...same, calls: 1, records: 300 },
          { ...same, calls: 1, records: 300 },
        ],
        stats,
      ).best,
    ).toBe(0);
  });

  it('flips from per-key GETs to the list when the learned round trip grows', () => {
    // 20 volumes by id (2 rounds at concurrency 16) against a 200-volume list of 1.2 KB records.
    const plans = [named('per-id', perId(20)), named('all-volumes', list(200))];
    const fast = new UpstreamStats();
    feed(fast, 50, 'cinder', 1, 900, { volume: { id: 'x' } });
    feed(fast, 20, 'cinder', 12, 240_000, volumes(200));
    expect(fast.rttMs('cinder')).toBeLessThan(2);
    expect(choose(plans, fast).name).toBe('per-id');
    const slow = new UpstreamStats();
    feed(slow, 50, 'cinder', 80, 900, { volume: { id: 'x' } });
    feed(slow, 20, 'cinder', 92, 240_000, volumes(200));
    expect(slow.rttMs('cinder')).toBeGreaterThan(70);
    expect(choose(plans, slow).name).toBe('all-volumes');
  });

  it('flips from the list to per-key GETs when the learned record size grows', () => {
    const plans = [named('per-id', perId(40)), named('all-volumes', list(2000))];
    const small = new UpstreamStats();
    feed(small, 50, 'cinder', 20, 900, { volume: { id: 'x' } });
    feed(small, 80, 'cinder', 21, 200_000, volumes(1000)); // 200 B a volume
    expect(small.bytesPerRecord('cinder', 'volumes')).toBeLessThan(210);
    expect(choose(plans, small).name).toBe('all-volumes');
    const big = new UpstreamStats();
    feed(big, 50, 'cinder', 20, 900, { volume: { id: 'x' } });
    feed(big, 80, 'cinder', 120, 5_000_000, volumes(1000)); // 5 KB a volume, and slow to send
    expect(big.bytesPerRecord('cinder', 'volumes')).toBeGreaterThan(4900);
    expect(choose(plans, big).name).toBe('per-id');
  });

  it('follows an upstream that gets faster within a few dozen calls (the prior fades)', () => {
    const stats = new UpstreamStats();
    expect(stats.rttMs('glance')).toBe(PRIORS.rttMs);
    feed(stats, 30, 'glance', 2, 500, { images: [{ id: 'a' }] });
    expect(stats.rttMs('glance')).toBeLessThan(3);
    feed(stats, 60, 'glance', 10, 500, { images: [{ id: 'a' }] });
    expect(stats.rttMs('glance')).toBeGreaterThan(9);
  });

  it('learns bytes per record by the body’s collection key, and one record for an object', () => {
    const stats = new UpstreamStats();
    feed(stats, 100, 'legacy', 3, 5000, { ret: 0, msg: 'ok', data: [1, 2, 3, 4, 5] });
    feed(stats, 100, 'nova', 3, 2500, { server: { id: 's' } });
    feed(stats, 100, 'keystone', 3, 3000, { projects: [{}, {}, {}], links: {} });
    feed(stats, 100, 'neutron', 3, 100, { ports: [] }); // an empty list says nothing about record size
    expect(stats.bytesPerRecord('legacy', 'data')).toBeCloseTo(1000, -1);
    expect(stats.bytesPerRecord('nova', 'server')).toBeCloseTo(2500, -1);
    expect(stats.bytesPerRecord('keystone', 'projects')).toBeCloseTo(1000, -1);
    expect(stats.bytesPerRecord('neutron', 'ports')).toBe(PRIORS.bytesPerRecord);
  });

  it('times the per-byte transfer from large answers only, net of the round trip', () => {
    const stats = new UpstreamStats();
    feed(stats, 40, 'nova', 5, 2000, { server: {} });
    feed(stats, 80, 'nova', 25, 1_000_000, { servers: [{}] });
    // (25 − ~5 ms) / 1 MB, plus the gateway's parse and map per byte.
    expect(stats.msPerByte('nova') - PRIORS.parseMsPerByte * 2).toBeCloseTo(2e-5, 6);
  });
});

describe('the plan trace', () => {
  it('records a batch with its candidates, the choice and the calls, bytes and time of its run', async () => {
    const trace = new PlanTrace();
    const candidates = rank([perId(2), list(634)]).estimates.map((e, i) => ({ ...e, name: ['per-id', 'all-volumes'][i] }));
    const value = await trace.run('volume', 'cinder', candidates, 'per-id', async () => {
      for (const bytes of [900, 1100]) {
        trace.callStarted('cinder');
        await new Promise((r) => setTimeout(r, 1));
        trace.callEnded('cinder', 1, bytes);
      }
      return 'done';
    });
    expect(value).toBe('done');
    const report = trace.report();
    expect(report.batches).toHaveLength(1);
    expect(report.batches[0]).toMatchObject({
      loader: 'volume',
      service: 'cinder',
      chosen: 'per-id',
      actual: { calls: 2, bytes: 2000, overlapped: false },
    });
    expect(report.batches[0].candidates.map((c) => [c.name, c.calls, c.rounds, c.records])).toEqual([
      ['per-id', 2, 1, 2],
      ['all-volumes', 1, 1, 634],
    ]);
    expect(report.totals).toMatchObject({ calls: 2, bytes: 2000, byUpstream: { cinder: { calls: 2, bytes: 2000 } } });
  });

  it('says when two batches of one upstream ran at the same time (their numbers may include each other)', async () => {
    const trace = new PlanTrace();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = trace.run('instance', 'nova', [], 'per-id', () => gate);
    const b = trace.run('instancesByHost', 'nova', [], 'zone-lists', async () => {});
    release();
    await Promise.all([a, b]);
    expect(trace.report().batches.map((x) => [x.loader, x.actual.overlapped])).toEqual([
      ['instancesByHost', true],
      ['instance', true],
    ]);
  });
});

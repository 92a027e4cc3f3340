// The planner's building blocks as plain functions: choose(), SizeHints, RequestState (with a real BatchScheduler),
// perChunk, core/collections.ts, and the key chunking and marker paging of datasources/http/pagination.ts.
import { describe, expect, it } from 'vitest';
import { choose, type Candidate } from '../../datasources/planner/choose.ts';
import { SizeHints } from '../../datasources/planner/size-hints.ts';
import { RequestState } from '../../datasources/planner/request-state.ts';
import { BatchScheduler } from '../../datasources/planner/scheduler.ts';
import { perChunk } from '../../datasources/planner/per-chunk.ts';
import { chunk, groupBy, mapLimit } from '../../core/collections.ts';
import { chunkByUrlBytes, collectMarkerPages, hasNextLink, queryString, withQuery, type Page } from '../../datasources/http/pagination.ts';
import type { Caller } from '../../core/caller.ts';
import { deferred } from '../helpers/deferred.ts';

/** A promise with its resolve and reject exposed. */

/** Lets every pending promise job (and their follow-ups) run. */
async function settleMicrotasks(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Waits for one real macrotask turn (after the scheduler's own setImmediate check). */
const nextImmediate = () => new Promise<void>((resolve) => setImmediate(resolve));

const candidate = (name: string, calls: number): Candidate<string> => ({ name, calls, run: async () => name });

describe('choose', () => {
  it('picks per-key GETs when they are fewer calls than the list', () => {
    expect(choose([candidate('list', 3), candidate('per-key', 2)]).name).toBe('per-key');
  });

  it('picks the list when it is fewer calls than per-key GETs', () => {
    expect(choose([candidate('per-key', 40), candidate('zone-lists', 3), candidate('all-tenants', 5)]).name).toBe('zone-lists');
  });

  it('picks an already fetched list (0 calls) over anything else', () => {
    expect(choose([candidate('per-key', 1), candidate('fetched-list', 0)]).name).toBe('fetched-list');
  });

  it('keeps the first of equally cheap candidates', () => {
    expect(choose([candidate('narrow', 2), candidate('wide', 2), candidate('wider', 2)]).name).toBe('narrow');
    expect(choose([candidate('expensive', 9), candidate('narrow', 2), candidate('wide', 2)]).name).toBe('narrow');
  });

  it('returns the candidate itself without running any plan', async () => {
    let ran = 0;
    const plans: Candidate<number>[] = [
      { name: 'a', calls: 2, run: async () => ++ran },
      { name: 'b', calls: 1, run: async () => ++ran },
    ];
    const best = choose(plans);
    expect(best).toBe(plans[1]);
    expect(ran).toBe(0);
    expect(await best.run()).toBe(1);
  });

  it('throws on an empty list of candidates', () => {
    expect(() => choose([])).toThrow('choose() needs at least one candidate plan');
  });
});

describe('SizeHints', () => {
  it('costs floor(size / pageSize) + 1 pages, so a list of exactly N full pages costs one more', () => {
    const hints = new SizeHints();
    const cases: [number, number][] = [
      [0, 1],
      [1, 1],
      [999, 1],
      [1000, 2],
      [1001, 2],
      [2500, 3],
      [3000, 4],
    ];
    for (const [size, pages] of cases) {
      hints.set('s', size);
      expect(hints.pages('s', 1000)).toBe(pages);
    }
  });

  it('uses the fallback size for a scope it has never seen', () => {
    const hints = new SizeHints();
    expect(hints.pages('unknown', 1000)).toBe(1);
    expect(hints.pages('unknown', 1000, 1000)).toBe(2);
    expect(hints.pages('unknown', 100, 450)).toBe(5);
  });

  it('prefers a learned size, even 0, over the fallback', () => {
    const hints = new SizeHints();
    hints.set('empty', 0);
    hints.set('big', 5000);
    expect(hints.pages('empty', 1000, 5000)).toBe(1);
    expect(hints.pages('big', 1000, 0)).toBe(6);
  });

  it('remembers sizes per scope and overwrites on a new measurement', () => {
    const hints = new SizeHints();
    hints.set('u1|p1|member|servers', 10);
    hints.set('u2|p2|admin|servers', 20);
    expect(hints.get('u1|p1|member|servers')).toBe(10);
    expect(hints.get('u2|p2|admin|servers')).toBe(20);
    hints.set('u1|p1|member|servers', 11);
    expect(hints.get('u1|p1|member|servers')).toBe(11);
    expect(hints.get('nobody')).toBeUndefined();
  });
});

const member: Caller = {
  token: 'tok-member',
  userId: 'u-alice',
  userName: 'alice',
  projectId: 'p-web',
  projectName: 'web',
  roles: ['member', 'reader'],
  isAdmin: false,
  expiresAt: new Date('2030-01-01T00:00:00Z'),
  catalog: [],
};

const settings = { concurrency: 4, maxUrlBytes: 4000 };

function requestState(caller: Caller = member, hints = new SizeHints()): RequestState {
  return new RequestState(caller, hints, new BatchScheduler(0), settings);
}

describe('RequestState', () => {
  it('keeps the caller, hints, scheduler and batch settings it was built with', () => {
    const hints = new SizeHints();
    const scheduler = new BatchScheduler(0);
    const state = new RequestState(member, hints, scheduler, settings);
    expect(state.caller).toBe(member);
    expect(state.hints).toBe(hints);
    expect(state.scheduler).toBe(scheduler);
    expect(state.batching).toEqual({ concurrency: 4, maxUrlBytes: 4000 });
  });

  it('fetches a list at most once per key and hands every caller the same promise', async () => {
    const state = requestState();
    let fetches = 0;
    const fetch = async () => {
      fetches++;
      return ['s1', 's2'];
    };
    const first = state.once('servers', fetch);
    const second = state.once('servers', fetch);
    expect(second).toBe(first);
    expect(await first).toEqual(['s1', 's2']);
    expect(await state.once('servers', fetch)).toEqual(['s1', 's2']);
    expect(fetches).toBe(1);
  });

  it('fetches different keys separately', async () => {
    const state = requestState();
    const fetched: string[] = [];
    const a = state.once('zone-a', async () => {
      fetched.push('a');
      return 1;
    });
    const b = state.once('zone-b', async () => {
      fetched.push('b');
      return 2;
    });
    expect([await a, await b]).toEqual([1, 2]);
    expect(fetched).toEqual(['a', 'b']);
  });

  it('does not retry a failed list within the request', async () => {
    const state = requestState();
    let fetches = 0;
    const failing = () => {
      fetches++;
      return Promise.reject(new Error('nova down'));
    };
    await expect(state.once('servers', failing)).rejects.toThrow('nova down');
    await expect(state.once('servers', failing)).rejects.toThrow('nova down');
    expect(fetches).toBe(1);
  });

  it('reports a list as had from the moment its fetch starts', async () => {
    const state = requestState();
    const pending = deferred<string[]>();
    expect(state.has('servers')).toBe(false);
    const list = state.once('servers', () => pending.promise);
    expect(state.has('servers')).toBe(true);
    expect(state.has('volumes')).toBe(false);
    pending.resolve([]);
    expect(await list).toEqual([]);
    expect(state.has('servers')).toBe(true);
  });

  it('shares learned sizes with later requests of the same user, project and roles', () => {
    const hints = new SizeHints();
    requestState(member, hints).learn('servers', 1234);
    const sameScope: Caller = { ...member, token: 'another-tab', roles: ['reader', 'member'], expiresAt: new Date('2031-01-01T00:00:00Z') };
    expect(requestState(sameScope, hints).known('servers')).toBe(1234);
    expect(requestState(sameScope, hints).known('volumes')).toBeUndefined();
  });

  it('keeps learned sizes apart for callers with a different project', () => {
    const hints = new SizeHints();
    requestState(member, hints).learn('servers', 1234);
    const otherProject: Caller = { ...member, projectId: 'p-db', projectName: 'db' };
    expect(requestState(otherProject, hints).known('servers')).toBeUndefined();
    requestState(otherProject, hints).learn('servers', 7);
    expect(requestState(member, hints).known('servers')).toBe(1234);
    expect(requestState(otherProject, hints).known('servers')).toBe(7);
  });

  it('keeps learned sizes apart for callers with different roles', () => {
    const hints = new SizeHints();
    const admin: Caller = { ...member, roles: ['admin', 'member', 'reader'], isAdmin: true };
    requestState(admin, hints).learn('servers', 50_000);
    expect(requestState(member, hints).known('servers')).toBeUndefined();
    expect(requestState(admin, hints).listCalls('servers', 1000)).toBe(51);
    expect(requestState(member, hints).listCalls('servers', 1000)).toBe(1);
  });

  it('costs a list its expected pages until it is fetched, then 0', async () => {
    const hints = new SizeHints();
    const state = requestState(member, hints);
    expect(state.listCalls('servers', 1000)).toBe(1);
    expect(state.listCalls('servers', 1000, 2000)).toBe(3);
    state.learn('servers', 2500);
    expect(state.listCalls('servers', 1000)).toBe(3);
    expect(state.listCalls('servers', 1000, 0)).toBe(3);
    await state.once('servers', async () => []);
    expect(state.listCalls('servers', 1000)).toBe(0);
    expect(state.listCalls('servers', 1000, 99_000)).toBe(0);
    // A fresh request of the same scope starts from the learned size again.
    expect(requestState(member, hints).listCalls('servers', 1000)).toBe(3);
  });

  it('builds loaders whose batches get every key of one tick in one call, values in key order', async () => {
    const state = requestState();
    const batches: string[][] = [];
    const loader = state.loader<string, string>('upper', async (keys) => {
      batches.push([...keys]);
      return keys.map((k) => (k === 'bad' ? new Error(`no ${k}`) : k.toUpperCase()));
    });
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((k) => loader.load(k)));
    expect(batches).toEqual([['a', 'bad', 'c']]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'A' });
    expect(results[1].status).toBe('rejected');
    expect((results[1] as PromiseRejectedResult).reason.message).toBe('no bad');
    expect(results[2]).toEqual({ status: 'fulfilled', value: 'C' });
  });

  it('builds loaders dispatched by its scheduler: no batch while a tracked call is in flight', async () => {
    const state = requestState();
    const upstream = deferred<string>();
    state.scheduler.track(upstream.promise);
    const batches: number[][] = [];
    const loader = state.loader<number, number>('double', async (keys) => {
      batches.push([...keys]);
      return keys.map((k) => k * 2);
    });
    const one = loader.load(1);
    await nextImmediate();
    const two = loader.load(2);
    await nextImmediate();
    expect(batches).toEqual([]);
    upstream.resolve('zone list');
    expect(await Promise.all([one, two])).toEqual([2, 4]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('passes cacheKeyFn through to the loader', async () => {
    const state = requestState();
    const batches: { id: string }[][] = [];
    const loader = state.loader<{ id: string }, string, string>(
      'by-id',
      async (keys) => {
        batches.push([...keys]);
        return keys.map((k) => k.id);
      },
      { cacheKeyFn: (k) => k.id },
    );
    expect(await Promise.all([loader.load({ id: 'x' }), loader.load({ id: 'x' }), loader.load({ id: 'y' })])).toEqual(['x', 'x', 'y']);
    expect(batches).toEqual([[{ id: 'x' }, { id: 'y' }]]);
  });

  it('fails every key with the loader name when a batch returns the wrong number of entries', async () => {
    const state = requestState();
    const loader = state.loader<string, string>('novaServers', async (keys) => keys.slice(1));
    const results = await Promise.allSettled(['s1', 's2', 's3'].map((k) => loader.load(k)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    for (const r of results) {
      const reason = (r as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(TypeError);
      expect(reason.message).toBe('loader novaServers: the batch returned 2 entries for 3 keys');
    }
  });

  it('fails every key with the loader name when a batch returns something other than an array', async () => {
    const state = requestState();
    const loader = state.loader<string, string>('glanceImages', async () => null as unknown as string[]);
    const results = await Promise.allSettled(['i1', 'i2'].map((k) => loader.load(k)));
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason.message).toBe('loader glanceImages: the batch returned object entries for 2 keys');
    }
  });
});

describe('perChunk', () => {
  it('lays answers out per key, in key order, whatever order the chunks finish in', async () => {
    const keys = ['a', 'b', 'c', 'd', 'e'];
    const firstChunk = deferred<void>();
    const results = perChunk(
      keys,
      [
        ['a', 'b'],
        ['c', 'd', 'e'],
      ],
      async (c) => {
        if (c[0] === 'a')
          await firstChunk.promise; // the first chunk answers last
        else firstChunk.resolve();
        return new Map(c.map((k) => [k, k.toUpperCase()]));
      },
      null,
    );
    expect(await results).toEqual(['A', 'B', 'C', 'D', 'E']);
  });

  it('fails only the keys of the chunk that failed', async () => {
    const boom = new Error('cinder answered 500');
    const results = await perChunk(
      ['a', 'b', 'c', 'd'],
      [
        ['a', 'b'],
        ['c', 'd'],
      ],
      async (c) => {
        if (c.includes('c')) throw boom;
        return new Map(c.map((k) => [k, `${k}!`]));
      },
      null,
    );
    expect(results).toEqual(['a!', 'b!', boom, boom]);
    expect(results[2]).toBe(boom);
  });

  it('gives keys the upstream did not return the missing value', async () => {
    const results = await perChunk(['a', 'b', 'c'], [['a', 'b', 'c']], async () => new Map([['b', 2]]), 0);
    expect(results).toEqual([0, 2, 0]);
    const lists = await perChunk(['x', 'y'], [['x'], ['y']], async (c) => new Map(c[0] === 'x' ? [['x', ['disk-1']]] : []), [] as string[]);
    expect(lists).toEqual([['disk-1'], []]);
  });

  it('runs every chunk, each once', async () => {
    const seen: string[][] = [];
    await perChunk(
      ['a', 'b', 'c'],
      [['a'], ['b'], ['c']],
      async (c) => {
        seen.push(c);
        return new Map();
      },
      null,
    );
    expect(seen.sort()).toEqual([['a'], ['b'], ['c']]);
  });
});

describe('collections', () => {
  it('mapLimit never has more than the limit in flight and keeps input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const items = [5, 1, 4, 2, 3, 1, 5, 2];
    const results = await mapLimit(items, 3, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await settleMicrotasks(n); // later items finish before earlier ones
      inFlight--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30, 10, 50, 20]);
    expect(peak).toBe(3);
    expect(inFlight).toBe(0);
  });

  it('mapLimit runs one at a time with limit 1', async () => {
    const order: string[] = [];
    await mapLimit(['a', 'b', 'c'], 1, async (s) => {
      order.push(`start ${s}`);
      await settleMicrotasks(2);
      order.push(`end ${s}`);
    });
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('mapLimit with a limit above the item count starts every item at once', async () => {
    let peak = 0;
    let inFlight = 0;
    const results = await mapLimit([1, 2], 16, async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await settleMicrotasks(1);
      inFlight--;
      return n + 1;
    });
    expect(results).toEqual([2, 3]);
    expect(peak).toBe(2);
    expect(await mapLimit([], 4, async (n: number) => n)).toEqual([]);
  });

  it('mapLimit rejects when one item fails', async () => {
    await expect(
      mapLimit([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('item 2 failed');
        return n;
      }),
    ).rejects.toThrow('item 2 failed');
  });

  it('chunk splits into pieces of at most size, the last one shorter', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([1, 2, 3, 4], 2)).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(chunk([1, 2], 50)).toEqual([[1, 2]]);
    expect(chunk([], 3)).toEqual([]);
  });

  it('groupBy groups by key in first-seen order, keeping input order within a group', () => {
    const hosts = [
      { name: 'h1', zone: 'z2' },
      { name: 'h2', zone: 'z1' },
      { name: 'h3', zone: 'z2' },
      { name: 'h4', zone: 'z3' },
      { name: 'h5', zone: 'z1' },
    ];
    const byZone = groupBy(hosts, (h) => h.zone);
    expect([...byZone.keys()]).toEqual(['z2', 'z1', 'z3']);
    expect(byZone.get('z2')!.map((h) => h.name)).toEqual(['h1', 'h3']);
    expect(byZone.get('z1')!.map((h) => h.name)).toEqual(['h2', 'h5']);
    expect(byZone.get('z3')!.map((h) => h.name)).toEqual(['h4']);
    expect(groupBy([], (x: number) => x).size).toBe(0);
  });

  it('groupBy accepts any iterable and non-string keys', () => {
    const byParity = groupBy(new Set([1, 2, 3, 4, 5]), (n) => n % 2 === 0);
    expect(byParity.get(true)).toEqual([2, 4]);
    expect(byParity.get(false)).toEqual([1, 3, 5]);
  });
});

describe('pagination', () => {
  const bytesOf = (k: string) => `id=${k}&`.length;

  it('chunkByUrlBytes keeps every chunk within the byte budget and loses no key', () => {
    const keys = Array.from({ length: 200 }, (_, i) => `${'k'.repeat(i % 40)}${i}`);
    const base = 120;
    const max = 600;
    const chunks = chunkByUrlBytes(keys, base, bytesOf, max);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.length).toBeGreaterThan(0);
      expect(base + c.reduce((sum, k) => sum + bytesOf(k), 0)).toBeLessThanOrEqual(max);
    }
    expect(chunks.flat()).toEqual(keys);
  });

  it('chunkByUrlBytes fills a chunk exactly to the budget before starting the next', () => {
    // base 10 + 4 keys of 10 bytes = 50 = max; the fifth key starts a new chunk.
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    expect(chunkByUrlBytes(keys, 10, () => 10, 50)).toEqual([
      ['a', 'b', 'c', 'd'],
      ['e', 'f'],
    ]);
  });

  it('chunkByUrlBytes gives a single oversized key its own chunk and never returns an empty one', () => {
    const cost = (k: string) => k.length;
    const chunks = chunkByUrlBytes(['aa', 'x'.repeat(500), 'bb', 'cc'], 10, cost, 100);
    expect(chunks).toEqual([['aa'], ['x'.repeat(500)], ['bb', 'cc']]);
    expect(chunkByUrlBytes(['x'.repeat(500)], 10, cost, 100)).toEqual([['x'.repeat(500)]]);
    expect(chunkByUrlBytes([], 10, cost, 100)).toEqual([]);
  });

  it('chunkByUrlBytes puts every key alone when the base URL already fills the budget', () => {
    expect(chunkByUrlBytes(['a', 'b', 'c'], 5000, () => 1, 4000)).toEqual([['a'], ['b'], ['c']]);
  });

  it('collectMarkerPages passes the last id of each page as the next marker', async () => {
    const pages: Page<{ id: string }>[] = [
      { items: [{ id: 's1' }, { id: 's2' }], hasNext: true },
      { items: [{ id: 's3' }, { id: 's4' }], hasNext: true },
      { items: [{ id: 's5' }], hasNext: false },
    ];
    const markers: (string | undefined)[] = [];
    const all = await collectMarkerPages(async (marker) => {
      markers.push(marker);
      return pages[markers.length - 1];
    });
    expect(markers).toEqual([undefined, 's2', 's4']);
    expect(all.map((s) => s.id)).toEqual(['s1', 's2', 's3', 's4', 's5']);
  });

  it('collectMarkerPages stops on an empty page even when it claims a next one', async () => {
    const markers: (string | undefined)[] = [];
    const all = await collectMarkerPages(async (marker) => {
      markers.push(marker);
      return marker === undefined ? { items: [{ id: 'i1' }], hasNext: true } : { items: [], hasNext: true };
    });
    expect(markers).toEqual([undefined, 'i1']);
    expect(all).toEqual([{ id: 'i1' }]);
  });

  it('collectMarkerPages fetches one page when the first has no next', async () => {
    let calls = 0;
    const all = await collectMarkerPages(async () => {
      calls++;
      return { items: [{ id: 'only' }], hasNext: false };
    });
    expect(calls).toBe(1);
    expect(all).toEqual([{ id: 'only' }]);
  });

  it('collectMarkerPages stops after maxPages and returns what it has', async () => {
    let calls = 0;
    const all = await collectMarkerPages(async () => {
      calls++;
      return { items: [{ id: `p${calls}` }], hasNext: true };
    }, 3);
    expect(calls).toBe(3);
    expect(all.map((i) => i.id)).toEqual(['p1', 'p2', 'p3']);
  });

  it('queryString repeats keys for arrays, skips undefined and encodes keys and values', () => {
    expect(queryString({ id: ['a', 'b', 3], limit: 1000, marker: undefined, all_tenants: true, name: 'web 1&2' })).toBe(
      'id=a&id=b&id=3&limit=1000&all_tenants=true&name=web%201%262',
    );
    expect(queryString({ deleted: false, 'changes-since': '2015-11-07T00:00:00Z' })).toBe('deleted=false&changes-since=2015-11-07T00%3A00%3A00Z');
    expect(queryString({ id: [], marker: undefined })).toBe('');
  });

  it('withQuery appends with ? or & and leaves the URL alone for an empty query', () => {
    expect(withQuery('http://nova/servers/detail', 'limit=1')).toBe('http://nova/servers/detail?limit=1');
    expect(withQuery('http://nova/servers/detail?all_tenants=1', 'limit=1')).toBe('http://nova/servers/detail?all_tenants=1&limit=1');
    expect(withQuery('http://nova/servers/detail', '')).toBe('http://nova/servers/detail');
  });

  it('hasNextLink is true only for a links array with rel=next', () => {
    expect(
      hasNextLink([
        { rel: 'self', href: 'x' },
        { rel: 'next', href: 'y' },
      ]),
    ).toBe(true);
    expect(hasNextLink([{ rel: 'self', href: 'x' }])).toBe(false);
    expect(hasNextLink([null, { rel: 'bookmark' }])).toBe(false);
    expect(hasNextLink(undefined)).toBe(false);
    expect(hasNextLink({ rel: 'next' })).toBe(false);
  });
});

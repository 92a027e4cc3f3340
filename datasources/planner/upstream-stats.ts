// What the cost model (planner/cost-model.ts) knows about each upstream's speed, learned online from the calls
// the HTTP client already times (datasources/http/client.ts feeds every answered call here): the round trip of a
// small answer per upstream, the transfer cost per byte of a large one (upstream serialisation + network), the
// gateway's JSON.parse cost per byte, and the bytes per record of each record kind (`volumes`, `server`,
// `projects`…: the body's collection key). Long-lived and shared by every request; holds timings and sizes only,
// never caller-visible data. Means are exponentially weighted (a slower or faster upstream is followed within a
// few dozen calls) and start from conservative priors, so a cold gateway never bets on a list it has not seen.
// Feeding costs a few map lookups and float operations per call: no allocation once an upstream and a record kind
// have been seen.

/** Answers up to this size time the round trip; larger ones time the per-byte transfer. */
const SMALL_ANSWER_BYTES = 16 * 1024;
/** Weight of one new observation once warm: ~20 calls dominate the mean. */
const ALPHA = 0.05;

/**
 * Cold-start priors (DESIGN.md "Batching: the rules"). Conservative: a round trip of a WAN-ish 20 ms and an upstream
 * that serialises and sends ~20 MB/s (a real Cinder or Nova building a 1000-item detail page is slower than the
 * wire), so an unseen wide list is not preferred to a few single GETs.
 */
export const PRIORS = {
  rttMs: 20,
  bytesPerRecord: 1200,
  wireMsPerByte: 5e-5,
  /** JSON.parse on a 2-core EPYC (Node 20) runs ~250 MB/s on OpenStack-shaped JSON: 4e-6 ms/byte. */
  parseMsPerByte: 4e-6,
} as const;

/**
 * Mapping a parsed record to the domain (toVolume, toInstance…) costs about as much again as parsing it
 * (measured with the bench's CPU ms/request: fleet-tree at small spends ~36 ms on ~1.6 MB), so the gateway's CPU
 * per byte is parse × 2.
 */
export const MAP_FACTOR = 2;
/**
 * Gateway CPU per upstream call (got's request/response handling, the diagnostics, the promise chain): the bench's
 * dataloader variant spends ~230 ms of CPU on fleet-tree's 665 calls at small, ~0.3 ms each. It is serial on the
 * event loop, so it adds to a plan's time; 0.25 ms is the prior, not learned.
 */
export const CALL_CPU_MS = 0.25;

interface Mean {
  mean: number;
  n: number;
}

interface UpstreamEntry {
  rtt: Mean;
  wire: Mean;
  records: Map<string, Mean>;
}

const fold = (m: Mean, sample: number) => {
  // A plain running mean while young (the prior counts as one observation), then a fixed weight so old values fade.
  m.n++;
  m.mean += (sample - m.mean) * Math.max(ALPHA, 1 / (m.n + 1));
};

export class UpstreamStats {
  private readonly upstreams = new Map<string, UpstreamEntry>();
  private readonly parse: Mean = { mean: PRIORS.parseMsPerByte, n: 0 };

  private entry(service: string): UpstreamEntry {
    let e = this.upstreams.get(service);
    if (!e) {
      e = { rtt: { mean: PRIORS.rttMs, n: 0 }, wire: { mean: PRIORS.wireMsPerByte, n: 0 }, records: new Map() };
      this.upstreams.set(service, e);
    }
    return e;
  }

  /**
   * One answered call: `ms` from sending until the whole body arrived, `bytes` of body, and the parsed body (its
   * first array property is a collection — `{volumes: [...]}`, legacy `{ret, data: [...]}` — else it is one record).
   */
  observe(service: string, ms: number, bytes: number, body: unknown): void {
    const e = this.entry(service);
    if (bytes <= SMALL_ANSWER_BYTES) fold(e.rtt, ms);
    else fold(e.wire, Math.max(0, ms - e.rtt.mean) / bytes);
    if (body === null || typeof body !== 'object' || bytes === 0) return;
    let kind = '';
    let records = 1;
    let keys = 0;
    for (const key in body) {
      const value = (body as Record<string, unknown>)[key];
      if (Array.isArray(value)) {
        kind = key;
        records = value.length;
        break;
      }
      if (kind === '' && value !== null && typeof value === 'object') kind = key;
      if (++keys === 4) break;
    }
    if (records === 0) return;
    let m = e.records.get(kind);
    if (!m) e.records.set(kind, (m = { mean: PRIORS.bytesPerRecord, n: 0 }));
    fold(m, bytes / records);
  }

  /** Time JSON.parse took for a body of `bytes` (only large bodies say anything about a per-byte cost). */
  observeParse(ms: number, bytes: number): void {
    if (bytes > SMALL_ANSWER_BYTES) fold(this.parse, ms / bytes);
  }

  rttMs(service: string): number {
    return this.upstreams.get(service)?.rtt.mean ?? PRIORS.rttMs;
  }

  bytesPerRecord(service: string, kind: string): number {
    return this.upstreams.get(service)?.records.get(kind)?.mean ?? PRIORS.bytesPerRecord;
  }

  /** What one more byte of answer costs: the upstream's transfer plus the gateway's parse and map. */
  msPerByte(service: string): number {
    return (this.upstreams.get(service)?.wire.mean ?? PRIORS.wireMsPerByte) + this.parse.mean * MAP_FACTOR;
  }
}

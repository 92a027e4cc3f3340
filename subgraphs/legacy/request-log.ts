// The region controller's request log: every write (POST, PUT, DELETE) that carries an `X-Request-Id` is recorded
// with its outcome, so that
//  - a write sent again under the same id is answered with the first outcome and never carried out twice
//    (another method or path under a used id is 409001: ids name one request);
//  - `GET /requests/{request_id}` tells a client whose answer was lost (a timeout, a reset, nginx's 502/504) whether
//    the write was carried out and what it answered: the `ret`/`msg`/`data` of the write itself.
// The contract is ours (DESIGN.md "The legacy region controller"). Bounded: the oldest entries are forgotten first.
import { legacyTime } from './serialize.ts';

/** Most requests remembered; a client asks about a lost answer within seconds, never after 10 000 later writes. */
export const MAX_LOGGED_REQUESTS = 10_000;
/** X-Request-Id: 1..128 printable ASCII characters without spaces. */
const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export interface Outcome {
  ret: number;
  msg: string;
  data: unknown;
}

interface Logged extends Outcome {
  method: string;
  path: string;
  receivedAt: Date;
}

export interface RequestJson {
  request_id: string;
  method: string;
  path: string;
  /** The write's own ret (0 = carried out). */
  ret: number;
  msg: string;
  /** The write's `data` (the created disk…), null when it failed. */
  data: unknown;
  /** 1 when the write was carried out (ret 0), 0 when it was refused. */
  executed: 0 | 1;
  received_at: string;
}

export function createRequestLog(max = MAX_LOGGED_REQUESTS) {
  const log = new Map<string, Logged>();
  return {
    /** True for an id this log can hold. */
    valid: (id: string) => REQUEST_ID.test(id),
    /** A write seen before under `id`: its outcome, or 'conflict' when that id named another request. */
    replay(id: string, method: string, path: string): Outcome | 'conflict' | null {
      const seen = log.get(id);
      if (!seen) return null;
      return seen.method === method && seen.path === path ? seen : 'conflict';
    },
    describe(id: string): { method: string; path: string } | null {
      const seen = log.get(id);
      return seen ? { method: seen.method, path: seen.path } : null;
    },
    record(id: string, method: string, path: string, outcome: Outcome): void {
      if (log.size >= max) log.delete(log.keys().next().value!);
      log.set(id, { ...outcome, method, path, receivedAt: new Date() });
    },
    json(id: string): RequestJson | null {
      const seen = log.get(id);
      if (!seen) return null;
      return {
        request_id: id,
        method: seen.method,
        path: seen.path,
        ret: seen.ret,
        msg: seen.msg,
        data: seen.data ?? null,
        executed: seen.ret === 0 ? 1 : 0,
        received_at: legacyTime(seen.receivedAt),
      };
    },
  };
}

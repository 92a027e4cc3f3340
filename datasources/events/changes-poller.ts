// instanceEvents without a message bus: Nova's `changes-since` polled while — and only while — someone subscribes
// (README "Events and subscriptions"). https://docs.openstack.org/api-ref/compute/#list-servers-detailed:
// `GET /servers/detail?changes-since=<ISO 8601>` lists every server whose `updated` is at or after that time, deleted
// ones included (status DELETED), so one call per interval sees creations, status and task changes and deletions.
//
// Whose token: the subscribers' own. With an administrator among them one `all_tenants=1` listing covers every
// project; otherwise one listing per subscribed project with a member's token (Nova shows members their own
// project's servers only). The newest token of each kind is used; one Nova refuses (401/403) is not tried again.
// Events are filtered per subscriber afterwards like the bus's (resolvers/subscriptions.ts), so a member never
// receives another project's events whichever listing found them.
//
// Diffing: each scope remembers every server it listed (status, task_state); a server listed again with the same
// state is not news (`changes-since` is inclusive and `updated` has whole seconds, so the newest changes are listed
// twice). A server first seen that was created since polling began is CREATED (in BUILD, where every Nova server
// starts) and then, if it is already further, STATUS_CHANGED; one created earlier is STATUS_CHANGED with an unknown
// oldStatus, or DELETED. Disk attachments do not change a server's `updated`: DISK_ATTACHED/DETACHED come from
// Cinder, each volume's attachments diffed with the last seen (volume-changes.ts), in the same tick and scope.
// While the bus is consumed Nova is not polled, and each scope's clock follows the present, so a bus that goes down
// hands over to polling from the last moment it was known good. Cinder's side keeps its state across the bus's
// time: the baseline is taken once (one listing), the bus's own disk events keep each volume's attachments current
// (observe), and its clock follows the last bus message. At handover polling diffs from there as usual, so an
// attach or detach between the bus's last message and the first poll is delivered, and one the bus delivered is not
// delivered again.
import type { Caller } from '../../core/caller.ts';
import { MosaicError } from '../../core/errors.ts';
import { UpstreamClient, type HttpStack } from '../http/client.ts';
import { BatchScheduler } from '../planner/scheduler.ts';
import { OpenStackSource } from '../openstack-source.ts';
import { garbled } from '../http/status-error.ts';
import type { DomainEvent } from './types.ts';
import { CinderChanges, baseline, volumeEvents, type VolumeScope } from './volume-changes.ts';

/** One server as changes-since lists it. */
interface Change {
  id: string;
  projectId: string;
  status: string;
  taskState: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

const PAGE = 1000;
/** A scope forgets the oldest servers past this many (a later change of one then has an unknown oldStatus). */
const MAX_REMEMBERED = 50_000;

class NovaChanges extends OpenStackSource {
  /** Every server changed at or after `since`, following Nova's pages. */
  async since(since: Date, allTenants: boolean): Promise<Change[]> {
    const { base, headers } = await this.target('nova');
    const out: Change[] = [];
    let marker: string | null = null;
    for (;;) {
      const params = new URLSearchParams({ 'changes-since': since.toISOString(), limit: String(PAGE) });
      if (allTenants) params.set('all_tenants', '1');
      if (marker) params.set('marker', marker);
      const res = await this.upstream.get('nova', `${base}/servers/detail?${params}`, headers);
      const servers = res.body?.servers;
      if (!Array.isArray(servers)) throw garbled('nova', 'servers/detail without servers');
      for (const s of servers as any[]) {
        out.push({
          id: s.id,
          projectId: s.tenant_id,
          // The API's status is what the graph shows (InstanceStatus spelling); a deleted server's is DELETED.
          status: typeof s.status === 'string' ? s.status : 'UNKNOWN',
          taskState: s['OS-EXT-STS:task_state'] ?? null,
          createdAt: s.created ? new Date(s.created) : null,
          updatedAt: s.updated ? new Date(s.updated) : null,
        });
      }
      if (servers.length < PAGE || !Array.isArray(res.body?.servers_links)) return out;
      marker = servers[servers.length - 1].id;
    }
  }
}

interface Scope {
  /** Where the next listing starts: the newest `updated` seen (inclusive), or when polling began. */
  since: Date;
  /** When this scope began polling: servers created since are CREATED. */
  began: number;
  seen: Map<string, { status: string; taskState: string | null }>;
  /** Cinder's side: volumes' attachments (volume-changes.ts). */
  volumes: VolumeScope;
}

export class ChangesPoller {
  private readonly subscribers = new Map<number, Caller>();
  private nextId = 0;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Bumped by stop(): a listing still running from before does not schedule the next one. */
  private generation = 0;
  /** `all` (an administrator's all_tenants listing) or a project id. */
  private readonly scopes = new Map<string, Scope>();
  /** Tokens Nova refused: not used again. */
  private readonly refused = new Set<string>();
  /** Listings made (tests and the bench). */
  polls = 0;
  /** Ticks run, bus or not (tests). */
  ticks = 0;
  /** When the bus last delivered an event (observe), ms. */
  private lastBusAt = 0;

  constructor(
    private readonly stack: HttpStack,
    private readonly intervalMs: number,
    private readonly publish: (event: DomainEvent) => void,
    /** True while the bus delivers events: polling then rests. */
    private readonly busActive: () => boolean,
  ) {}

  /** Whether anyone is subscribed (the poller runs exactly then). */
  get active(): boolean {
    return this.subscribers.size > 0;
  }

  /** Counts one subscriber; polling starts with the first and stops when the last one's release is called. */
  watch(caller: Caller): () => void {
    const id = this.nextId++;
    this.subscribers.set(id, caller);
    if (!this.timer) this.schedule(0, this.generation);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.subscribers.delete(id);
      if (this.subscribers.size === 0) this.stop();
    };
  }

  private schedule(delayMs: number, generation: number): void {
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => {
        this.running = null;
        if (generation === this.generation && this.subscribers.size > 0) this.schedule(this.intervalMs, generation);
      });
    }, delayMs);
    this.timer.unref();
  }

  /** Stops polling and forgets what was seen (the last subscriber left, or the gateway closes). */
  stop(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.scopes.clear();
    this.refused.clear();
  }

  /** Resolves once the current listing (if any) is done (tests). */
  async idle(): Promise<void> {
    await this.running;
  }

  /**
   * An event the bus delivered: its disk attachments are applied to every scope's Cinder state that covers its
   * project, so the polling that takes over later does not report them again (or miss the one after).
   */
  observe(event: DomainEvent): void {
    this.lastBusAt = Date.now();
    if (event.kind !== 'disk.attached' && event.kind !== 'disk.detached') return;
    if (!event.instanceId) return;
    for (const [key, scope] of this.scopes) {
      if (key !== 'all' && key !== event.projectId) continue;
      if (!scope.volumes.since) continue; // no baseline yet: it will list the volume as it is
      const servers = new Set(scope.volumes.seen.get(event.resourceId) ?? []);
      if (event.kind === 'disk.attached') servers.add(event.instanceId);
      else servers.delete(event.instanceId);
      scope.volumes.seen.delete(event.resourceId);
      scope.volumes.seen.set(event.resourceId, servers);
    }
  }

  /** The token per scope: an administrator's for everything, else one per project (the latest to expire). */
  private tokens(): Map<string, Caller> {
    const now = Date.now();
    const usable = [...this.subscribers.values()].filter((c) => c.expiresAt.getTime() > now && !this.refused.has(c.token));
    const newest = (cs: Caller[]) => cs.reduce((a, b) => (b.expiresAt > a.expiresAt ? b : a));
    const admins = usable.filter((c) => c.isAdmin);
    if (admins.length > 0) return new Map([['all', newest(admins)]]);
    const byProject = new Map<string, Caller[]>();
    for (const c of usable) byProject.set(c.projectId, [...(byProject.get(c.projectId) ?? []), c]);
    return new Map([...byProject].map(([p, cs]) => [p, newest(cs)]));
  }

  private async tick(): Promise<void> {
    this.ticks++;
    const tokens = this.tokens();
    for (const key of [...this.scopes.keys()]) if (!tokens.has(key)) this.scopes.delete(key);
    const now = new Date();
    for (const [key, caller] of tokens) {
      let scope = this.scopes.get(key);
      // Whole seconds: Nova's `updated` has no fraction, and changes-since compares it inclusively.
      const floor = new Date(Math.floor(now.getTime() / 1000) * 1000);
      if (!scope) {
        const volumes: VolumeScope = { since: null, began: floor.getTime(), seen: new Map() };
        this.scopes.set(key, (scope = { since: floor, began: floor.getTime(), seen: new Map(), volumes }));
      }
      if (this.busActive()) {
        scope.since = floor;
        // The bus reports attachments (observe keeps `seen` current); Cinder is listed only for the baseline.
        if (!scope.volumes.since) await this.pollVolumes(scope.volumes, key, caller, floor);
        else if (this.lastBusAt > 0) {
          const lastBus = new Date(Math.floor(this.lastBusAt / 1000) * 1000);
          if (lastBus > scope.volumes.since) scope.volumes.since = lastBus;
        }
        continue;
      }
      try {
        const source = new NovaChanges(new UpstreamClient(this.stack, new BatchScheduler(0)), caller);
        this.polls++;
        const changes = await source.since(scope.since, key === 'all');
        this.apply(scope, changes);
      } catch (err) {
        if (err instanceof MosaicError && (err.errorName === 'MOSAIC_ERR_BAD_TOKEN' || err.errorName === 'MOSAIC_ERR_UPSTREAM_FORBIDDEN'))
          this.refused.add(caller.token);
        // Anything else (Nova down, a timeout): the same window is asked again next time.
      }
      await this.pollVolumes(scope.volumes, key, caller, floor);
    }
  }

  /** Cinder's half of a tick: the baseline first, then the volumes updated since (volume-changes.ts). */
  private async pollVolumes(volumes: VolumeScope, key: string, caller: Caller, floor: Date): Promise<void> {
    try {
      const cinder = new CinderChanges(new UpstreamClient(this.stack, new BatchScheduler(0)), caller);
      const project = key === 'all' ? caller.projectId : key;
      this.polls++;
      if (!volumes.since) baseline(volumes, await cinder.inUse(key === 'all', project), floor);
      else {
        const { changes, truncated } = await cinder.since(volumes.since, key === 'all', project);
        for (const e of volumeEvents(volumes, changes, truncated)) this.publish(e);
      }
    } catch {
      // Cinder down or refusing: the same window is asked again next time (a refused token shows on Nova too).
    }
  }

  private apply(scope: Scope, changes: Change[]): void {
    // Oldest change first, so a subscriber hears one server's changes in the order they happened.
    changes.sort((a, b) => (a.updatedAt?.getTime() ?? 0) - (b.updatedAt?.getTime() ?? 0));
    for (const c of changes) {
      if (c.updatedAt && c.updatedAt > scope.since) scope.since = c.updatedAt;
      const before = scope.seen.get(c.id);
      if (before && before.status === c.status && before.taskState === c.taskState) continue;
      scope.seen.delete(c.id);
      if (c.status !== 'DELETED') scope.seen.set(c.id, { status: c.status, taskState: c.taskState });
      const at = c.updatedAt ?? new Date();
      const event = (kind: DomainEvent['kind'], status: string, oldStatus: string | null, taskState: string | null): DomainEvent => ({
        kind,
        resourceType: 'Instance',
        resourceId: c.id,
        projectId: c.projectId,
        instanceId: c.id,
        status,
        oldStatus,
        taskState,
        action: null,
        fault: null,
        metadata: null,
        at,
        eventType: 'changes-since',
        service: 'nova',
        messageId: `changes-since:${c.id}:${at.getTime()}:${kind}:${status}:${taskState ?? ''}`,
      });
      if (c.status === 'DELETED') this.publish(event('instance.deleted', 'DELETED', before?.status ?? null, null));
      else if (!before && c.createdAt && c.createdAt.getTime() >= scope.began) {
        this.publish(event('instance.created', 'BUILD', null, c.status === 'BUILD' ? c.taskState : null));
        if (c.status !== 'BUILD') this.publish(event('instance.status', c.status, 'BUILD', c.taskState));
      } else this.publish(event('instance.status', c.status, before?.status ?? null, c.taskState));
    }
    while (scope.seen.size > MAX_REMEMBERED) scope.seen.delete(scope.seen.keys().next().value!);
  }
}

// Lookup indexes for the Nova emulator, kept valid against a Cloud that other emulators write to as well.
//
// Why checks at all: Neutron (ports, floating IPs), Cinder (volumes) and the legacy controller (hosts) mutate
// the shared Cloud without telling Nova, yet a server's JSON embeds their data. `refresh()` runs before every
// request and, when something a server's JSON depends on moved, rebuilds the lookup maps and bumps `depEpoch`
// (which invalidates every cached server serialisation at once: writes are rare, reads are hot).
//   - Array membership (push/splice — creates and deletes anywhere): O(1) per request, comparing the array's
//     identity, length and first/last elements.
//   - Networks and flavors (a handful): their fields are compared on every request.
//   - Ports, volumes, floating IPs and hosts (thousands on big clouds, each a likely cache miss): their fields
//     (device, addresses, attachments, association, status) are compared on every request while that costs
//     under 20 µs (tiny and small clouds), otherwise at most once per 25× its cost — so an in-place edit by
//     another service (a floating IP associated through Neutron) shows within a few ms on medium/large
//     clouds, and the check stays under ~4 % of a core. Membership changes and Nova's own writes (`touch()`)
//     are seen by the very next request.
// Server membership has its own counter so the sorted lists are rebuilt only when servers come or go;
// per-server changes are tracked by `server.rev`.
import { performance } from 'node:perf_hooks';
import type { Cloud, FloatingIp, Flavor, Host, Network, Port, Server, Volume, VolumeAttachment } from '../seed/types.ts';

export interface AttachedVolume {
  volume: Volume;
  attachment: VolumeAttachment;
}

/** Nova's default list order: created_at desc, then id desc. */
export const serverOrder = (a: { createdAt: Date; id: string }, b: { createdAt: Date; id: string }): number => {
  const d = b.createdAt.getTime() - a.createdAt.getTime();
  return d !== 0 ? d : a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
};

/** Identity, length and ends of an array: changes on every push/splice/replace. */
type Shape = [unknown[] | null, number, unknown, unknown];
const shapeOf = (a: unknown[]): Shape => [a, a.length, a[0], a[a.length - 1]];
const sameShape = (a: unknown[], s: Shape) => s[0] === a && s[1] === a.length && s[2] === a[0] && s[3] === a[a.length - 1];

// Field snapshots, one specialised loop per collection (monomorphic, no callbacks: this is the hot path).
function snapPorts(items: Port[]): unknown[] {
  const s = new Array<unknown>(items.length * 5);
  for (let i = 0, j = 0; i < items.length; i++, j += 5) {
    const p = items[i];
    s[j] = p;
    s[j + 1] = p.deviceId;
    s[j + 2] = p.fixedIps;
    s[j + 3] = p.networkId;
    s[j + 4] = p.macAddress;
  }
  return s;
}
function samePorts(items: Port[], s: unknown[]): boolean {
  if (s.length !== items.length * 5) return false;
  for (let i = 0, j = 0; i < items.length; i++, j += 5) {
    const p = items[i];
    if (s[j] !== p || s[j + 1] !== p.deviceId || s[j + 2] !== p.fixedIps || s[j + 3] !== p.networkId || s[j + 4] !== p.macAddress) return false;
  }
  return true;
}
function snapVolumes(items: Volume[]): unknown[] {
  const s = new Array<unknown>(items.length * 3);
  for (let i = 0, j = 0; i < items.length; i++, j += 3) {
    const v = items[i];
    s[j] = v;
    s[j + 1] = v.attachments;
    s[j + 2] = v.attachments.length;
  }
  return s;
}
function sameVolumes(items: Volume[], s: unknown[]): boolean {
  if (s.length !== items.length * 3) return false;
  for (let i = 0, j = 0; i < items.length; i++, j += 3) {
    const v = items[i];
    if (s[j] !== v || s[j + 1] !== v.attachments || s[j + 2] !== v.attachments.length) return false;
  }
  return true;
}
function snapFips(items: FloatingIp[]): unknown[] {
  const s = new Array<unknown>(items.length * 3);
  for (let i = 0, j = 0; i < items.length; i++, j += 3) {
    const f = items[i];
    s[j] = f;
    s[j + 1] = f.portId;
    s[j + 2] = f.address;
  }
  return s;
}
function sameFips(items: FloatingIp[], s: unknown[]): boolean {
  if (s.length !== items.length * 3) return false;
  for (let i = 0, j = 0; i < items.length; i++, j += 3) {
    const f = items[i];
    if (s[j] !== f || s[j + 1] !== f.portId || s[j + 2] !== f.address) return false;
  }
  return true;
}
function snapHosts(items: Host[]): unknown[] {
  const s = new Array<unknown>(items.length * 3);
  for (let i = 0, j = 0; i < items.length; i++, j += 3) {
    const h = items[i];
    s[j] = h;
    s[j + 1] = h.status;
    s[j + 2] = h.hostname;
  }
  return s;
}
function sameHosts(items: Host[], s: unknown[]): boolean {
  if (s.length !== items.length * 3) return false;
  for (let i = 0, j = 0; i < items.length; i++, j += 3) {
    const h = items[i];
    if (s[j] !== h || s[j + 1] !== h.status || s[j + 2] !== h.hostname) return false;
  }
  return true;
}
/** Networks (name shows in addresses) and flavors (embedded from 2.47): few. */
function snapSmall(c: Cloud): unknown[] {
  const s: unknown[] = [];
  for (const n of c.networks) s.push(n, n.name);
  for (const f of c.flavors) s.push(f, f.name, f.vcpus, f.ram, f.disk);
  return s;
}
function sameSmall(c: Cloud, s: unknown[]): boolean {
  if (s.length !== c.networks.length * 2 + c.flavors.length * 5) return false;
  let j = 0;
  for (const n of c.networks) if (s[j++] !== n || s[j++] !== n.name) return false;
  for (const f of c.flavors) if (s[j++] !== f || s[j++] !== f.name || s[j++] !== f.vcpus || s[j++] !== f.ram || s[j++] !== f.disk) return false;
  return true;
}

/** Below this cost (ms) the port/volume field check runs on every request. */
const ALWAYS_CHECK_MS = 0.02;

export class NovaIndex {
  /** Bumped when data embedded in server JSON (ports, floating IPs, volumes, hosts, networks, flavors) changed. */
  depEpoch = 0;
  /** Bumped when servers were added or removed. */
  membership = 0;

  private serversShape: Shape = [null, 0, undefined, undefined];
  private portsShape: Shape = [null, 0, undefined, undefined];
  private volumesShape: Shape = [null, 0, undefined, undefined];
  private fipsShape: Shape = [null, 0, undefined, undefined];
  private hostsShape: Shape = [null, 0, undefined, undefined];
  private portSnap: unknown[] = [];
  private volumeSnap: unknown[] = [];
  private fipSnap: unknown[] = [];
  private hostSnap: unknown[] = [];
  private smallSnap: unknown[] = [];
  /** When the port/volume field check runs next (performance.now() ms); 0 = on the next refresh. */
  private nextDeep = 0;

  private all: Server[] = [];
  private byProject = new Map<string, Server[]>();
  private byIdMap = new Map<string, Server>();
  /** Servers that disappeared (status DELETED), so a marker naming one still pages and `changes-since` lists them (Nova reads deleted rows too). */
  private tombstones = new Map<string, Server>();

  private portsByDevice: Map<string, Port[]> | null = null;
  private fipsByPort: Map<string, FloatingIp[]> | null = null;
  private volsByServer: Map<string, AttachedVolume[]> | null = null;
  private hostsByName: Map<string, Host> | null = null;
  private netsById: Map<string, Network> | null = null;
  private flavorsById: Map<string, Flavor> | null = null;

  constructor(private readonly cloud: Cloud) {
    this.refresh();
  }

  /** Nova changed ports or volume attachments in place: check them fully on the next refresh. */
  touch(): void {
    this.nextDeep = 0;
  }

  /** Revalidates against the shared Cloud; call once per request before reading. */
  refresh(): void {
    const c = this.cloud;
    if (!sameShape(c.servers, this.serversShape)) {
      this.serversShape = shapeOf(c.servers);
      this.rebuildServers();
    }
    let dirty = false;
    if (
      !sameShape(c.ports, this.portsShape) ||
      !sameShape(c.volumes, this.volumesShape) ||
      !sameShape(c.floatingIps, this.fipsShape) ||
      !sameShape(c.hosts, this.hostsShape)
    ) {
      this.portsShape = shapeOf(c.ports);
      this.volumesShape = shapeOf(c.volumes);
      this.fipsShape = shapeOf(c.floatingIps);
      this.hostsShape = shapeOf(c.hosts);
      this.nextDeep = 0;
    }
    const now = this.nextDeep === 0 ? 0 : performance.now();
    if (now >= this.nextDeep) {
      const t0 = performance.now();
      if (!samePorts(c.ports, this.portSnap)) {
        this.portSnap = snapPorts(c.ports);
        dirty = true;
      }
      if (!sameVolumes(c.volumes, this.volumeSnap)) {
        this.volumeSnap = snapVolumes(c.volumes);
        dirty = true;
      }
      if (!sameFips(c.floatingIps, this.fipSnap)) {
        this.fipSnap = snapFips(c.floatingIps);
        dirty = true;
      }
      if (!sameHosts(c.hosts, this.hostSnap)) {
        this.hostSnap = snapHosts(c.hosts);
        dirty = true;
      }
      const t1 = performance.now();
      const cost = t1 - t0;
      this.nextDeep = cost < ALWAYS_CHECK_MS ? 0 : t1 + cost * 25;
    }
    if (!sameSmall(c, this.smallSnap)) {
      this.smallSnap = snapSmall(c);
      dirty = true;
    }
    if (dirty) {
      this.depEpoch++;
      this.portsByDevice = this.fipsByPort = this.volsByServer = null;
      this.hostsByName = this.netsById = this.flavorsById = null;
    }
  }

  private rebuildServers(): void {
    const previous = this.byIdMap;
    this.all = this.cloud.servers.slice().sort(serverOrder);
    this.byIdMap = new Map(this.all.map((sv) => [sv.id, sv]));
    this.byProject = new Map();
    for (const sv of this.all) {
      let list = this.byProject.get(sv.projectId);
      if (!list) this.byProject.set(sv.projectId, (list = []));
      list.push(sv);
    }
    for (const [id, sv] of previous) if (!this.byIdMap.has(id)) this.tombstones.set(id, sv);
    this.membership++;
  }

  /** Every server in list order (may include status DELETED; callers skip those). */
  sorted(projectId?: string): Server[] {
    return projectId === undefined ? this.all : (this.byProject.get(projectId) ?? []);
  }

  /** Deleted servers changed at or after `since` (ms), of one project or all: what `changes-since` adds (servers.ts). */
  deletedSince(since: number, projectId?: string): Server[] {
    const out: Server[] = [];
    for (const sv of this.tombstones.values())
      if (sv.updatedAt.getTime() >= since && (projectId === undefined || sv.projectId === projectId)) out.push(sv);
    return out;
  }

  server(id: string): Server | undefined {
    const sv = this.byIdMap.get(id);
    return sv && sv.status !== 'DELETED' ? sv : undefined;
  }

  /** The sort key of a marker: a live server or one that has gone; undefined when Nova never had it. */
  markerKey(id: string): { createdAt: Date; id: string } | undefined {
    return this.byIdMap.get(id) ?? this.tombstones.get(id);
  }

  /** First position in `list` that sorts after the marker. */
  static after(list: Server[], key: { createdAt: Date; id: string }): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (serverOrder(list[mid], key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  portsOf(serverId: string): Port[] {
    if (!this.portsByDevice) this.portsByDevice = group(this.cloud.ports, (p) => p.deviceId);
    return this.portsByDevice.get(serverId) ?? EMPTY;
  }

  floatingIpsOf(portId: string): FloatingIp[] {
    if (!this.fipsByPort)
      this.fipsByPort = group(
        this.cloud.floatingIps.filter((f) => f.portId),
        (f) => f.portId!,
      );
    return this.fipsByPort.get(portId) ?? EMPTY;
  }

  volumesOf(serverId: string): AttachedVolume[] {
    if (!this.volsByServer) {
      const map = new Map<string, AttachedVolume[]>();
      for (const volume of this.cloud.volumes) {
        for (const attachment of volume.attachments) {
          let list = map.get(attachment.serverId);
          if (!list) map.set(attachment.serverId, (list = []));
          list.push({ volume, attachment });
        }
      }
      // Block device mappings come back in attach order; the device name breaks ties.
      for (const list of map.values()) {
        list.sort(
          (a, b) => a.attachment.attachedAt.getTime() - b.attachment.attachedAt.getTime() || (a.attachment.device < b.attachment.device ? -1 : 1),
        );
      }
      this.volsByServer = map;
    }
    return this.volsByServer.get(serverId) ?? EMPTY;
  }

  host(hostname: string): Host | undefined {
    if (!this.hostsByName) this.hostsByName = new Map(this.cloud.hosts.map((h) => [h.hostname, h]));
    return this.hostsByName.get(hostname);
  }

  network(id: string): Network | undefined {
    if (!this.netsById) this.netsById = new Map(this.cloud.networks.map((n) => [n.id, n]));
    return this.netsById.get(id);
  }

  flavor(id: string): Flavor | undefined {
    if (!this.flavorsById) this.flavorsById = new Map(this.cloud.flavors.map((f) => [f.id, f]));
    return this.flavorsById.get(id);
  }
}

const EMPTY: never[] = [];

function group<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (!k) continue;
    let list = map.get(k);
    if (!list) map.set(k, (list = []));
    list.push(item);
  }
  return map;
}

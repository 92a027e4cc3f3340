// What each kind of operation sends upstream and how it tells where it stands — the only place that knows which
// upstream state means "done". Polling semantics per upstream:
//  - Nova (https://docs.openstack.org/api-guide/compute/server_concepts.html): an action is finished when
//    OS-EXT-STS:task_state is null again; the result is the status (vm_state): ACTIVE, SHUTOFF, or ERROR with
//    a `fault` saying why (NoValidHost…). A deleted server answers 404.
//  - Cinder (https://docs.openstack.org/api-ref/block-storage/v3/#volumes-volumes): creating → available or
//    error; deleting → gone (404); attachments show on the volume.
//  - The region controller answers its writes synchronously ({ret, msg, data}); a lost answer is asked about (legacy-kinds.ts).
//  - Neutron's floating-IP writes are synchronous too (https://docs.openstack.org/api-ref/network/v2/#floating-ips-floatingips):
//    the answer is the final state; after a lost answer the floating IP itself shows whether it happened (an
//    allocation carries the key's hash in its `description`).
// `check` answers `unknown` when nothing upstream shows that the write happened; while the write's answer is
// outstanding or was lost, that means "not yet" (the tracker asks again), after the settle window "it did not".
import type { Disk } from '../../core/domain.ts';
import { MosaicError } from '../../core/errors.ts';
import type { OperationKind, OperationRecord, OperationTarget } from './types.ts';
import { IDEMPOTENCY_METADATA_KEY, cinderDisk, floatingIp, gone, instance, novaFailure, p, type KindSpec } from './kind-support.ts';
import { resizeKinds } from './resize-kinds.ts';
import { legacyKinds, legacyVerdict } from './legacy-kinds.ts';

export { IDEMPOTENCY_METADATA_KEY, recordedError, type CloudApi, type Progress, type Submitted } from './kind-support.ts';

/** A power action (start, stop, reboot): finished when the task is over and the status is `result`. */
function powerAction(body: (op: OperationRecord) => Record<string, unknown>, result: string, what: string): KindSpec {
  return {
    service: 'nova',
    async submit(api, op) {
      await api.nova.action(p(op).instanceId, body(op));
      return { target: instance(p(op).instanceId) };
    },
    async check(api, op) {
      const s = await api.nova.serverState(p(op).instanceId);
      if (!s) return gone(`Instance ${p(op).instanceId}`);
      if (s.taskState) return { state: 'running' };
      if (s.status === 'ERROR') return novaFailure(s, what);
      if (s.status !== result) return { state: 'unknown' };
      // A reboot ends where it began (ACTIVE): after a lost answer, only a change since the operation began shows it happened.
      if (op.kind === 'REBOOT_INSTANCE' && op.ambiguousAt && (!s.updatedAt || s.updatedAt.getTime() < op.startedAt.getTime() - 1000)) {
        return { state: 'unknown' };
      }
      return { state: 'succeeded' };
    },
  };
}

const KINDS: Record<OperationKind, KindSpec> = {
  CREATE_INSTANCE: {
    service: 'nova',
    async submit(api, op) {
      return { target: instance(await api.nova.createServer(p(op).server)) };
    },
    async check(api, op) {
      let id = op.target?.key;
      let found: OperationTarget | undefined;
      if (!id) {
        // The create's answer was lost: the server, if it was made, carries the key in its metadata.
        const server = p(op).server as { name: string };
        const hits = await api.nova.serversNamed(server.name, op.projectId);
        const hit = hits.find((s) => s.metadata[IDEMPOTENCY_METADATA_KEY] === op.idempotencyKey);
        if (!hit) return { state: 'unknown' };
        id = hit.id;
        found = instance(id);
      }
      const s = await api.nova.serverState(id);
      if (!s) return gone(`Instance ${id}`);
      if (s.status === 'ERROR') return { ...novaFailure(s, 'build the instance'), target: found };
      if (s.status === 'ACTIVE' && !s.taskState) return { state: 'succeeded', target: found };
      return { state: 'running', target: found };
    },
  },
  DELETE_INSTANCE: {
    service: 'nova',
    async submit(api, op) {
      await api.nova.deleteServer(p(op).instanceId);
      return { target: instance(p(op).instanceId) };
    },
    async check(api, op) {
      const s = await api.nova.serverState(p(op).instanceId);
      if (!s || s.status === 'DELETED') return { state: 'succeeded' };
      if (s.taskState === 'deleting') return { state: 'running' };
      return { state: 'unknown' };
    },
  },
  START_INSTANCE: powerAction(() => ({ 'os-start': null }), 'ACTIVE', 'start the instance'),
  STOP_INSTANCE: powerAction(() => ({ 'os-stop': null }), 'SHUTOFF', 'stop the instance'),
  REBOOT_INSTANCE: powerAction((op) => ({ reboot: { type: p(op).type } }), 'ACTIVE', 'reboot the instance'),
  CREATE_DISK: {
    service: 'cinder',
    async submit(api, op) {
      const params = p(op);
      if (params.backend === 'LEGACY') {
        const disk: Disk = await api.legacy.createDisk(params.storageId, params.disk, op.id);
        return { target: { type: 'Disk', key: `legacy:${disk.id}` }, done: true };
      }
      return { target: cinderDisk(await api.cinder.createVolume(params.volume)) };
    },
    async check(api, op) {
      const params = p(op);
      if (params.backend === 'LEGACY') {
        if (op.target) return { state: 'succeeded' };
        // The controller says whether it created the disk, and which (legacy-kinds.ts).
        return legacyVerdict(
          api,
          op,
          (data) => ({ state: 'succeeded', target: { type: 'Disk', key: `legacy:${data.id}` } }),
          async () => {
            // A controller without a request log: a disk of this (generated, key-derived) name made since the operation began.
            const since = op.startedAt.getTime() - 2000;
            const hit = (await api.legacy.disksNamed(params.storageId, params.disk.name, op.id)).find((d) => (d.createdAt?.getTime() ?? 0) >= since);
            return hit ? { state: 'succeeded', target: { type: 'Disk', key: `legacy:${hit.id}` } } : { state: 'unknown' };
          },
        );
      }
      let id = op.target?.key.slice('cinder:'.length);
      let found: OperationTarget | undefined;
      if (!id) {
        const hits = await api.cinder.volumesWithMetadata(IDEMPOTENCY_METADATA_KEY, op.idempotencyKey, op.projectId);
        if (hits.length === 0) return { state: 'unknown' };
        id = hits[0].id;
        found = cinderDisk(id);
      }
      const v = await api.cinder.volumeState(id);
      if (!v) return gone(`Volume ${id}`);
      if (v.status === 'available' || v.status === 'in-use') return { state: 'succeeded', target: found };
      if (v.status.startsWith('error')) {
        return {
          state: 'failed',
          error: {
            code: 'MOSAIC_ERR_UPSTREAM_STATUS',
            message: `Cinder could not create volume ${id} (status ${v.status})`,
            upstreamMessage: v.status,
          },
        };
      }
      return { state: 'running', target: found };
    },
  },
  ATTACH_DISK: {
    service: 'nova',
    async submit(api, op) {
      await api.nova.attachVolume(p(op).instanceId, p(op).volumeId, p(op).device);
      return { target: cinderDisk(p(op).volumeId) };
    },
    async check(api, op) {
      const v = await api.cinder.volumeState(p(op).volumeId);
      if (!v) return gone(`Volume ${p(op).volumeId}`);
      if (v.attachments.some((a) => a.serverId === p(op).instanceId)) return { state: 'succeeded' };
      if (v.status === 'attaching' || v.status === 'reserved') return { state: 'running' };
      return { state: 'unknown' };
    },
  },
  DETACH_DISK: {
    service: 'nova',
    async submit(api, op) {
      await api.nova.detachVolume(p(op).instanceId, p(op).volumeId);
      return { target: cinderDisk(p(op).volumeId) };
    },
    async check(api, op) {
      const v = await api.cinder.volumeState(p(op).volumeId);
      if (!v) return gone(`Volume ${p(op).volumeId}`);
      if (!v.attachments.some((a) => a.serverId === p(op).instanceId)) return { state: 'succeeded' };
      if (v.status === 'detaching') return { state: 'running' };
      return { state: 'unknown' };
    },
  },
  DELETE_DISK: {
    service: 'cinder',
    async submit(api, op) {
      await api.cinder.deleteVolume(p(op).volumeId);
      return { target: cinderDisk(p(op).volumeId) };
    },
    async check(api, op) {
      const v = await api.cinder.volumeState(p(op).volumeId);
      if (!v) return { state: 'succeeded' };
      if (v.status === 'deleting') return { state: 'running' };
      if (v.status === 'error_deleting') {
        return {
          state: 'failed',
          error: {
            code: 'MOSAIC_ERR_UPSTREAM_STATUS',
            message: `Cinder could not delete volume ${v.id} (error_deleting)`,
            upstreamMessage: v.status,
          },
        };
      }
      return { state: 'unknown' };
    },
  },
  ...legacyKinds,
  ...resizeKinds,
  ALLOCATE_FLOATING_IP: {
    service: 'neutron',
    async submit(api, op) {
      const fip = await api.neutron.allocateFloatingIp(p(op).networkId ?? null, p(op).description);
      return { target: floatingIp(fip.id), done: true };
    },
    async check(api, op) {
      if (op.target) return { state: 'succeeded' };
      const hit = (await api.neutron.floatingIpsDescribed(p(op).description)).find((f) => f.projectId === op.projectId);
      return hit ? { state: 'succeeded', target: floatingIp(hit.id) } : { state: 'unknown' };
    },
  },
  ASSOCIATE_FLOATING_IP: {
    service: 'neutron',
    async submit(api, op) {
      const { floatingIpId, instanceId } = p(op);
      // The instance's port, as Nova bound it: https://docs.openstack.org/api-ref/network/v2/#list-ports (device_id).
      const [port] = await api.neutron.portsOf(instanceId);
      if (!port) throw new MosaicError('MOSAIC_ERR_NOT_FOUND', `Instance ${instanceId} has no Neutron port (it does not exist, or has no network)`);
      await api.neutron.setFloatingIpPort(floatingIpId, port.id);
      return { target: floatingIp(floatingIpId), done: true };
    },
    async check(api, op) {
      const { floatingIpId, instanceId } = p(op);
      const fip = await api.neutron.floatingIp(floatingIpId);
      if (!fip) return gone(`Floating IP ${floatingIpId}`);
      if (!fip.portId) return { state: 'unknown' };
      // port_details (Neutron Rocky+) names the instance; an older Neutron is asked about the port.
      const device = fip.deviceId !== undefined ? fip.deviceId : ((await api.neutron.port(fip.portId))?.deviceId ?? null);
      return device === instanceId ? { state: 'succeeded' } : { state: 'unknown' };
    },
  },
  DISASSOCIATE_FLOATING_IP: {
    service: 'neutron',
    async submit(api, op) {
      await api.neutron.setFloatingIpPort(p(op).floatingIpId, null);
      return { target: floatingIp(p(op).floatingIpId), done: true };
    },
    async check(api, op) {
      const fip = await api.neutron.floatingIp(p(op).floatingIpId);
      if (!fip) return gone(`Floating IP ${p(op).floatingIpId}`);
      return fip.portId ? { state: 'unknown' } : { state: 'succeeded' };
    },
  },
  RELEASE_FLOATING_IP: {
    service: 'neutron',
    async submit(api, op) {
      await api.neutron.releaseFloatingIp(p(op).floatingIpId);
      return { target: floatingIp(p(op).floatingIpId), done: true };
    },
    async check(api, op) {
      return (await api.neutron.floatingIp(p(op).floatingIpId)) ? { state: 'unknown' } : { state: 'succeeded' };
    },
  },
};

export const kindSpec = (kind: OperationKind): KindSpec => KINDS[kind];

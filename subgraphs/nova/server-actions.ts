// Nova server actions: POST /servers/{id}/action with `os-start`, `os-stop` or `reboot` (202, asynchronous).
// https://docs.openstack.org/api-ref/compute/#servers-run-an-action-servers-action
//
// As nova/compute/api.py checks them (@check_instance_state): an action needs task_state None and an allowed
// vm_state, else 409 conflictingRequest "Cannot '<action>' instance <uuid> while it is in <attr> <state>"
// (nova/api/openstack/common.py raise_http_conflict_for_instance_invalid_state).
//   os-start  vm_state stopped                          → task_state powering-on  → active (power_state 1)
//   os-stop   vm_state active or error                  → task_state powering-off → stopped (power_state 4)
//   reboot    SOFT: active; HARD: active, stopped, paused, error
//             → task_state rebooting / rebooting_hard (status REBOOT / HARD_REBOOT) → active
//   resize    {"flavorRef"}: active or stopped, another flavor → status RESIZE through task_state resize_prep,
//             resize_migrating, resize_migrated, resize_finish → VERIFY_RESIZE (vm_state resized, the new flavor)
//   confirmResize  VERIFY_RESIZE → ACTIVE (SHUTOFF if it was stopped) with the new flavor (204); again while confirming: 400 "Instance has not been resized."
//   revertResize   VERIFY_RESIZE → task resize_reverting (REVERT_RESIZE) → ACTIVE (or SHUTOFF) with the old flavor (202)
//   https://docs.openstack.org/api-ref/compute/#resize-server-resize-action · #confirm-resized-server-confirmresize-action
//   · #revert-resized-server-revertresize-action. Growing past the project's cores or ram quota (Nova's defaults) is
//   a 403 "Quota exceeded for cores: Requested …", as the API answers OverQuota on a resize.
// Each accepted action finishes after cloud.asyncDelayMs; a delete accepted meanwhile wins.
import type { EmulatorReply } from '../emulator/emulator-server.ts';
import type { Server } from '../seed/types.ts';
import { type NovaContext, type NovaState, instanceNotFound, novaFault } from './common.ts';
import { VM_STATE } from './serialize.ts';
import { visibleServer } from './servers.ts';
import { actionEndEvent, instanceStateOf, notifyInstanceChange } from '../notify/nova.ts';

const touch = (server: Server) => {
  server.updatedAt = new Date();
  server.rev++;
};

function conflict(action: string, server: Server, attr: 'vm_state' | 'task_state', state: string): EmulatorReply {
  return novaFault(409, `Cannot '${action}' instance ${server.id} while it is in ${attr} ${state}`);
}

/** Runs `task` on the server now and its result after the emulated delay. */
function begin(state: NovaState, server: Server, task: string, result: Server['status']): EmulatorReply {
  state.tasks.set(server.id, task);
  touch(server);
  notifyInstanceChange(state, server, { ...instanceStateOf(state, server), task: null });
  setTimeout(() => {
    if (state.tasks.get(server.id) !== task) return;
    state.tasks.delete(server.id);
    if (!state.cloud.servers.includes(server) || state.deleting.has(server.id)) return;
    const old = { state: VM_STATE[server.status][0], task };
    server.status = result;
    touch(server);
    notifyInstanceChange(state, server, old, actionEndEvent(task));
  }, state.cloud.asyncDelayMs).unref();
  return { status: 202 };
}

/** A resize in progress or waiting for confirmation: the flavor to go back to, and whether a confirm is running. */
interface Resize {
  oldFlavorId: string;
  /** ACTIVE or SHUTOFF: a stopped server stays stopped after its resize is confirmed or reverted. */
  oldStatus: Server['status'];
  confirming: boolean;
}
const resizes = new WeakMap<NovaState, Map<string, Resize>>();
const resizesOf = (state: NovaState) => {
  let m = resizes.get(state);
  if (!m) resizes.set(state, (m = new Map()));
  return m;
};

const RESIZE_TASKS = ['resize_prep', 'resize_migrating', 'resize_migrated', 'resize_finish'];

/** Each resize task in turn (a quarter of asyncDelayMs each), then VERIFY_RESIZE with the new flavor. */
function beginResize(state: NovaState, server: Server, flavorId: string): EmulatorReply {
  const step = Math.max(1, Math.floor(state.cloud.asyncDelayMs / RESIZE_TASKS.length));
  resizesOf(state).set(server.id, { oldFlavorId: server.flavorId, oldStatus: server.status, confirming: false });
  const oldVm = VM_STATE[server.status][0];
  const advance = (i: number, prevTask: string | null) => {
    const alive = state.cloud.servers.includes(server) && !state.deleting.has(server.id);
    if (i > 0 && (!alive || state.tasks.get(server.id) !== prevTask)) return;
    if (i < RESIZE_TASKS.length) {
      state.tasks.set(server.id, RESIZE_TASKS[i]);
      touch(server);
      notifyInstanceChange(state, server, { state: oldVm, task: prevTask });
      setTimeout(() => advance(i + 1, RESIZE_TASKS[i]), step).unref();
      return;
    }
    state.tasks.delete(server.id);
    server.flavorId = flavorId;
    server.status = 'VERIFY_RESIZE';
    touch(server);
    notifyInstanceChange(state, server, { state: oldVm, task: prevTask }, 'instance.resize_finish.end');
  };
  advance(0, null);
  return { status: 202 };
}

function confirmOrRevert(state: NovaState, server: Server, action: 'confirmResize' | 'revertResize'): EmulatorReply {
  const resize = resizesOf(state).get(server.id);
  if (server.status !== 'VERIFY_RESIZE' || !resize) return conflict(action, server, 'vm_state', VM_STATE[server.status][0]);
  // nova/compute/api.py confirm_resize: the migration is no longer 'finished' once a confirm is running.
  if (resize.confirming) return novaFault(400, 'Instance has not been resized.');
  const finish = (status: Server['status'], flavorId: string, old: { state: string; task: string | null }, end: string) => {
    if (!state.cloud.servers.includes(server) || state.deleting.has(server.id)) return;
    resizesOf(state).delete(server.id);
    state.tasks.delete(server.id);
    server.status = status;
    server.flavorId = flavorId;
    touch(server);
    notifyInstanceChange(state, server, old, end);
  };
  if (action === 'confirmResize') {
    resize.confirming = true;
    setTimeout(
      () => finish(resize.oldStatus, server.flavorId, { state: 'resized', task: null }, 'instance.resize_confirm.end'),
      state.cloud.asyncDelayMs,
    ).unref();
    return { status: 204 };
  }
  state.tasks.set(server.id, 'resize_reverting');
  touch(server);
  notifyInstanceChange(state, server, { state: 'resized', task: null });
  setTimeout(() => {
    if (state.tasks.get(server.id) !== 'resize_reverting') return;
    finish(resize.oldStatus, resize.oldFlavorId, { state: 'resized', task: 'resize_reverting' }, 'instance.resize_revert.end');
  }, state.cloud.asyncDelayMs).unref();
  return { status: 202 };
}

export function serverAction(ctx: NovaContext): EmulatorReply {
  const { req, state } = ctx;
  const server = visibleServer(ctx, req.params.id);
  if (!server) return instanceNotFound(req.params.id);
  const body = req.body;
  if (!body || typeof body !== 'object' || Array.isArray(body) || Object.keys(body).length !== 1) {
    return novaFault(400, 'Malformed request body');
  }
  const [name, spec] = Object.entries(body as Record<string, unknown>)[0];
  const action = name === 'os-start' ? 'start' : name === 'os-stop' ? 'stop' : name === 'reboot' ? 'reboot' : null;
  if (name === 'resize') return resize(ctx, server, spec);
  if (name === 'confirmResize' || name === 'revertResize') {
    const busy = state.deleting.has(server.id) ? 'deleting' : state.tasks.get(server.id);
    if (busy) return conflict(name, server, 'task_state', busy);
    return confirmOrRevert(state, server, name);
  }
  if (!action) return novaFault(400, `There is no such action: ${name}`);
  let type = 'SOFT';
  if (action === 'reboot') {
    const t = (spec as { type?: unknown } | null)?.type;
    if (typeof t !== 'string' || !['SOFT', 'HARD'].includes(t.toUpperCase())) {
      return novaFault(
        400,
        `Invalid input for field/attribute type. Value: ${JSON.stringify(t ?? null)}. 'type' must be one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']`,
      );
    }
    type = t.toUpperCase();
  }
  const task = state.deleting.has(server.id) ? 'deleting' : (state.tasks.get(server.id) ?? (server.status === 'BUILD' ? 'spawning' : null));
  if (task) return conflict(action, server, 'task_state', task);
  const vmState = VM_STATE[server.status][0];
  switch (action) {
    case 'start':
      if (server.status !== 'SHUTOFF') return conflict(action, server, 'vm_state', vmState);
      return begin(state, server, 'powering-on', 'ACTIVE');
    case 'stop':
      if (server.status !== 'ACTIVE' && server.status !== 'ERROR') return conflict(action, server, 'vm_state', vmState);
      return begin(state, server, 'powering-off', 'SHUTOFF');
    case 'reboot': {
      const allowed = type === 'SOFT' ? ['ACTIVE'] : ['ACTIVE', 'SHUTOFF', 'PAUSED', 'ERROR'];
      if (!allowed.includes(server.status)) return conflict(action, server, 'vm_state', vmState);
      return begin(state, server, type === 'SOFT' ? 'rebooting' : 'rebooting_hard', 'ACTIVE');
    }
  }
}

/** resize {"flavorRef"}: nova/compute/api.py resize, @check_instance_state(vm_state=[ACTIVE, STOPPED], task_state=[None]). */
function resize(ctx: NovaContext, server: Server, spec: unknown): EmulatorReply {
  const { state } = ctx;
  const ref = (spec as { flavorRef?: unknown } | null)?.flavorRef;
  if (typeof ref !== 'string' && typeof ref !== 'number') {
    return novaFault(400, `Invalid input for field/attribute resize. Value: ${JSON.stringify(spec ?? null)}. 'flavorRef' is a required property`);
  }
  const wanted = String(ref).slice(String(ref).lastIndexOf('/') + 1);
  const flavor = state.cloud.flavors.find((f) => f.id === wanted);
  if (!flavor) return novaFault(400, 'Invalid flavorRef provided.');
  const task = state.deleting.has(server.id) ? 'deleting' : (state.tasks.get(server.id) ?? (server.status === 'BUILD' ? 'spawning' : null));
  if (task) return conflict('resize', server, 'task_state', task);
  if (server.status !== 'ACTIVE' && server.status !== 'SHUTOFF') return conflict('resize', server, 'vm_state', VM_STATE[server.status][0]);
  if (flavor.id === server.flavorId) return novaFault(400, 'When resizing, instances must change flavor!');
  const over = overQuota(state, server, flavor);
  if (over) return novaFault(403, over);
  return beginResize(state, server, flavor.id);
}

/** Nova's default cores and ram quotas (nova/conf/quota.py), the limits a project's resize counts against. */
const QUOTA = { cores: 20, ram: 51_200 };

/**
 * A resize that grows the project past its cores or ram quota: Nova counts the flavor's delta against what the
 * project uses (nova/compute/api.py resize → _check_quota_for_upsize) and answers 403 with the OverQuota message.
 */
function overQuota(state: NovaState, server: Server, flavor: { vcpus: number; ram: number }): string | null {
  const flavors = new Map(state.cloud.flavors.map((f) => [f.id, f]));
  const old = flavors.get(server.flavorId);
  const live = state.cloud.servers.filter((s) => s.projectId === server.projectId && s.status !== 'DELETED');
  const used = {
    cores: live.reduce((n, s) => n + (flavors.get(s.flavorId)?.vcpus ?? 0), 0),
    ram: live.reduce((n, s) => n + (flavors.get(s.flavorId)?.ram ?? 0), 0),
  };
  const delta = { cores: flavor.vcpus - (old?.vcpus ?? 0), ram: flavor.ram - (old?.ram ?? 0) };
  for (const key of ['cores', 'ram'] as const) {
    if (delta[key] > 0 && used[key] + delta[key] > QUOTA[key]) {
      return `Quota exceeded for ${key}: Requested ${delta[key]}, but already used ${used[key]} of ${QUOTA[key]} ${key}`;
    }
  }
  return null;
}

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

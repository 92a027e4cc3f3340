// Neutron's notifications for floating IPs (unversioned, as neutron/notifiers and neutron-lib's callbacks send
// them through oslo.messaging): floatingip.create.end, floatingip.update.end, floatingip.delete.end on the
// `neutron` exchange, `notifications.info`, the payload `{"floatingip": {…}}` shaped like the API's own resource.
// https://docs.openstack.org/neutron/latest/admin/config-notification.html (no reader in Mosaic yet: it binds the
// exchanges in events.exchanges, which do not include neutron by default).
import type { Cloud, FloatingIp } from '../seed/types.ts';
import { notifierOf } from './registry.ts';

const time = (d: Date | null | undefined) => (d ? d.toISOString().slice(0, 19) + 'Z' : null);

export function notifyFloatingIp(cloud: Cloud, fip: FloatingIp, eventType: string): void {
  const notifier = notifierOf(cloud);
  if (!notifier) return;
  const floatingip = {
    id: fip.id,
    tenant_id: fip.projectId,
    project_id: fip.projectId,
    floating_network_id: fip.floatingNetworkId,
    floating_ip_address: fip.address,
    fixed_ip_address: fip.fixedIpAddress,
    port_id: fip.portId,
    router_id: fip.routerId,
    status: fip.status,
    created_at: time(fip.createdAt),
  };
  const payload = eventType === 'floatingip.delete.end' ? { floatingip_id: fip.id } : { floatingip };
  notifier.publish('neutron', { publisherId: 'network.neutron-server', eventType, payload });
}

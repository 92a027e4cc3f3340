// Compute API microversion negotiation, as nova.api.openstack.wsgi.Request.set_api_version_request does it:
// https://docs.openstack.org/api-guide/compute/microversions.html
//   - `OpenStack-API-Version: compute 2.X` (may list other services, comma-separated), else the legacy
//     `X-OpenStack-Nova-API-Version: 2.X`; absent → 2.1; `latest` → the maximum.
//   - a malformed version string → 400 badRequest ("API Version String … is of invalid format …");
//   - a well-formed version outside [2.1, max] → 406, body `{"computeFault": …}` (406 has no fault name). `max`
//     is 2.96 unless the emulator was started older (DemoCloudOptions.maxMicroversion: a Nova of an earlier release).
// Every response carries the negotiated version back, plus `Vary` on both headers.
import type { EmulatorReply, EmulatorRequest } from '../emulator/emulator-server.ts';
import { novaFault } from './common.ts';

export const MIN_MICROVERSION = 1;
/** 2.96 is the maximum of Nova 2024.1 (Caracal). */
export const MAX_MICROVERSION = 96;

const VERSION_RE = /^([1-9]\d*)\.([1-9]\d*|0)$/;
const cache = new Map<string, number | EmulatorReply>();

function requested(headers: EmulatorRequest['headers']): string | undefined {
  const modern = headers['openstack-api-version'];
  if (modern !== undefined) {
    const values = Array.isArray(modern) ? modern.join(',') : modern;
    for (const part of values.split(',')) {
      const [service, version] = part.trim().split(/\s+/, 2);
      if (service?.toLowerCase() === 'compute' && version !== undefined) return version;
    }
  }
  const legacy = headers['x-openstack-nova-api-version'];
  if (legacy !== undefined) return (Array.isArray(legacy) ? legacy[legacy.length - 1] : legacy).trim();
  return undefined;
}

/** The negotiated minor version (2.X → X), or the error reply to send; `max` is this Nova's maximum minor. */
export function negotiate(headers: EmulatorRequest['headers'], max = MAX_MICROVERSION): number | EmulatorReply {
  const raw = requested(headers);
  if (raw === undefined) return MIN_MICROVERSION;
  const key = max === MAX_MICROVERSION ? raw : `${max} ${raw}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  let result: number | EmulatorReply;
  if (raw === 'latest') result = max;
  else {
    const m = VERSION_RE.exec(raw);
    if (!m) {
      result = novaFault(400, `API Version String ${raw} is of invalid format. Must be of format MajorNum.MinorNum.`);
    } else if (m[1] !== '2' || Number(m[2]) < MIN_MICROVERSION || Number(m[2]) > max) {
      result = novaFault(406, `Version ${raw} is not supported by the API. Minimum is 2.${MIN_MICROVERSION} and maximum is 2.${max}.`);
    } else result = Number(m[2]);
  }
  if (cache.size < 1000) cache.set(key, result);
  return result;
}

const headerCache: Record<string, string>[] = [];
/** The version headers Nova adds to every microversioned response. */
export function versionHeaders(mv: number): Record<string, string> {
  return (headerCache[mv] ??= {
    'content-type': 'application/json',
    'openstack-api-version': `compute 2.${mv}`,
    'x-openstack-nova-api-version': `2.${mv}`,
    vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
  });
}

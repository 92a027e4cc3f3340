// Node's own metrics (CPU, heap, GC, event-loop lag, handles), from prom-client's collectDefaultMetrics
// (https://github.com/siimon/prom-client#default-metrics). They describe the process, not a gateway, and
// collecting them starts an event-loop-delay monitor and a GC observer that are never stopped — so they live in
// one registry per process, made on first use and shared by every gateway the process builds (tests build many).
import { Registry, collectDefaultMetrics } from 'prom-client';

let registry: Registry | null = null;

export function processMetrics(): Registry {
  if (!registry) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}

// The error a field answers when it needs what a partial record withheld: a Nova server in a down cell
// (microversion 2.69+) comes back without name, addresses, zone… (README "Partial records"). Shared by the
// Instance resolvers and the dashboard, whose figures would otherwise be silently wrong.
import { MosaicError } from '../core/errors.ts';

export const partialRecordError = (what: string) =>
  new MosaicError('MOSAIC_ERR_UPSTREAM_UNAVAILABLE', `Nova returned a partial record (the server's cell is unreachable), without ${what}`, {
    service: 'nova',
  });

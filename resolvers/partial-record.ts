// The errors a field answers when it needs what a partial record withheld: a Nova server in a down cell
// (microversion 2.69+) comes back without name, addresses, zone, host… (README "Partial records",
// https://docs.openstack.org/api-guide/compute/down_cells.html). Shared by the Instance and Host resolvers and the
// dashboard, whose answers would otherwise be silently wrong.
import { MosaicError } from '../core/errors.ts';

export const partialRecordError = (what: string) =>
  new MosaicError('MOSAIC_ERR_UPSTREAM_UNAVAILABLE', `Nova returned a partial record (the server's cell is unreachable), without ${what}`, {
    service: 'nova',
  });

/**
 * A list that would silently leave out servers Nova returned without the field it is split by (a down cell's
 * records name no host). graphql-js reports an error at a path only with that field null (GraphQL spec 6.4.4,
 * "Handling Field Errors"), so the list is null with this error rather than a short list reported as whole;
 * `extensions.unplaceableCount` says how many servers could not be placed, `placedCount` how many could.
 */
export class PartialListError extends MosaicError {
  constructor(
    what: string,
    readonly unplaceableCount: number,
    readonly placedCount: number,
  ) {
    super(
      'MOSAIC_ERR_PARTIAL_LIST',
      `Nova returned ${unplaceableCount} server${unplaceableCount === 1 ? '' : 's'} from an unreachable cell without ${what}; ` +
        `any of them may belong here, so the list (${placedCount} placed) would be incomplete`,
      { service: 'nova' },
    );
  }
  override get extensions(): Record<string, unknown> {
    return { ...super.extensions, unplaceableCount: this.unplaceableCount, placedCount: this.placedCount };
  }
}

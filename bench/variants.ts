// The gateway variants the bench can run (bench/gateway-process.ts builds them). A module of its own because
// gateway-process.ts runs a gateway when imported: the parent may import only types from it.
export type Variant =
  | 'mosaic-mercurius'
  | 'mosaic-apollo'
  | 'naive'
  | 'dataloader'
  // Only in `npm run bench:federation` (bench/federation.ts): @graphql-tools/federation over Mosaic as a subgraph.
  | 'federation-library';

/** Every variant, in table order; the default of `--variants`. The first is the reference for "same data". */
export const VARIANTS: Variant[] = ['mosaic-mercurius', 'mosaic-apollo', 'naive', 'dataloader'];

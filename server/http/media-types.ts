// Content negotiation for GraphQL responses (https://graphql.github.io/graphql-over-http/draft/#sec-Body): which of
// the two GraphQL media types a response is sent as, chosen from the request's Accept header, and which status
// codes go with it. Matching follows RFC 9110 §12.5.1: the most specific range decides each type's weight.

export const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json';
export const APPLICATION_JSON = 'application/json';

export interface ResponseMedia {
  type: typeof GRAPHQL_RESPONSE_JSON | typeof APPLICATION_JSON;
  /**
   * The client named `application/json` itself: a well-formed request whose GraphQL document fails to parse or
   * validate is answered 200, as that media type's section of the spec asks. Otherwise (the other type, or a
   * client that named neither: no Accept, `*\/*`) such a request is answered 400, as Mosaic always has; the spec's
   * default without an Accept is application/graphql-response+json since 2025-01-01, while graphql-http's audit
   * (47DE, 80D8) and clients written before it expect the `application/json` label, which such a client gets.
   */
  okForRequestErrors: boolean;
}

/** What a client that names no GraphQL media type gets: see ResponseMedia. */
export const DEFAULT_MEDIA: ResponseMedia = { type: APPLICATION_JSON, okForRequestErrors: false };

/** `type/subtype` of a Content-Type, lower-cased; null when it does not parse as a media type. */
export function mediaTypeEssence(contentType: string): string | null {
  return /^([!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+)\s*(;|$)/.exec(contentType.trim().toLowerCase())?.[1] ?? null;
}

interface Match {
  q: number;
  /** 2 for the exact type, 1 for `application/*`, 0 for `*\/*`. */
  specificity: number;
}

/** How the Accept header's ranges weigh `type`: its most specific matching range, or null when none matches. */
function weigh(ranges: { range: string; q: number }[], type: string): Match | null {
  let best: Match | null = null;
  for (const { range, q } of ranges) {
    const specificity = range === type ? 2 : range === 'application/*' ? 1 : range === '*/*' ? 0 : -1;
    if (specificity >= 0 && (!best || specificity > best.specificity)) best = { q, specificity };
  }
  return best;
}

/**
 * The media type to answer with, or null when the Accept header allows neither (answered 406, as the spec
 * recommends). At equal weight, application/graphql-response+json wins when the client names it.
 */
export function responseMediaFor(accept: string | undefined): ResponseMedia | null {
  if (accept === undefined || accept.trim() === '') return DEFAULT_MEDIA;
  const ranges = accept.split(',').flatMap((part) => {
    const [range, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!/^[^\s/]+\/[^\s/]+$/.test(range)) return [];
    const weight = params.map((p) => /^q\s*=\s*([\d.]+)$/.exec(p)?.[1]).find((v) => v !== undefined);
    const q = weight === undefined ? 1 : Number(weight);
    return [{ range, q: Number.isFinite(q) ? Math.min(q, 1) : 1 }];
  });
  const graphql = weigh(ranges, GRAPHQL_RESPONSE_JSON);
  const json = weigh(ranges, APPLICATION_JSON);
  const acceptable = (m: Match | null): m is Match => m !== null && m.q > 0;
  if (!acceptable(graphql) && !acceptable(json)) return null;
  const graphqlWins = acceptable(graphql) && (!acceptable(json) || graphql.q > json.q || (graphql.q === json.q && graphql.specificity === 2));
  if (graphqlWins) return { type: GRAPHQL_RESPONSE_JSON, okForRequestErrors: false };
  return { type: APPLICATION_JSON, okForRequestErrors: json!.specificity === 2 };
}

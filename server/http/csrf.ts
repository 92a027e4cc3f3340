// Cross-site request forgery: a browser sends a "simple" request (a GET, or a POST whose Content-Type is one of the
// three CORS-safelisted types) to any origin without asking first, with the user's cookies and from any page. The
// gateway refuses such a request unless it carries a header a browser only sends after a CORS preflight — the rule
// Apollo Server applies by default (https://www.apollographql.com/docs/apollo-server/security/cors#preventing-cross-site-request-forgery-csrf),
// defined here once and applied by http-protocol.ts before either runtime sees the request, so Mercurius and Apollo agree.
// Safelisted types and headers: https://fetch.spec.whatwg.org/#cors-safelisted-request-header
import { mediaTypeEssence } from './media-types.ts';

/** The Content-Types a browser sends cross-origin without a preflight (compared by essence: type/subtype). */
const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/**
 * Headers that force a preflight, so a request carrying one (non-empty) cannot be a forgery: Apollo's two,
 * Mosaic's own `x-mosaic-csrf`, and the two token headers — neither is CORS-safelisted, and a forged request
 * could not know the token anyway. Apollo Server is given the same list (app.ts), so its own check agrees.
 */
export const CSRF_PREFLIGHT_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight', 'x-mosaic-csrf', 'x-auth-token', 'authorization'];

/**
 * Whether a browser could have sent this request without a preflight. A Content-Type that does not parse is not
 * safelisted either (a browser preflights it), as in Apollo's check.
 */
export function couldBeForged(headers: Record<string, string | string[] | undefined>): boolean {
  const contentType = headers['content-type'];
  if (typeof contentType === 'string') {
    const essence = mediaTypeEssence(contentType);
    if (essence === null || !SIMPLE_CONTENT_TYPES.includes(essence)) return false;
  }
  return !CSRF_PREFLIGHT_HEADERS.some((name) => {
    const value = headers[name];
    return Array.isArray(value) ? value.some((v) => v.length > 0) : typeof value === 'string' && value.length > 0;
  });
}

// What a GraphQL request asks for, read cheaply for metrics and spans: the operation's name (the request's
// `operationName`, else the name of the document's first definition when it is an operation) and its type.
// At most the first two lexical tokens are read (graphql-js's own lexer, so comments and a BOM are skipped
// correctly); a document that opens with a fragment and sends no `operationName` is reported as anonymous.
import { Lexer, Source, TokenKind } from 'graphql';

export interface OperationInfo {
  /** The operation's name, or null when it has none (or it cannot be told without parsing the document). */
  name: string | null;
  type: 'query' | 'mutation' | 'subscription' | null;
}

const TYPES = new Set(['query', 'mutation', 'subscription']);

/** The operation a request body (POST) or query string (GET) names. */
export function operationOf(params: unknown): OperationInfo {
  const { query, operationName } = (params ?? {}) as { query?: unknown; operationName?: unknown };
  const named = typeof operationName === 'string' && operationName !== '' ? operationName : null;
  if (typeof query !== 'string') return { name: named, type: null };
  try {
    const lexer = new Lexer(new Source(query));
    const first = lexer.advance();
    if (first.kind === TokenKind.BRACE_L) return { name: named, type: 'query' };
    if (first.kind !== TokenKind.NAME || !TYPES.has(first.value)) return { name: named, type: null };
    const second = lexer.advance();
    const type = first.value as OperationInfo['type'];
    // With an operationName the document may hold several operations: the first one's type is only a guess.
    if (named) return { name: named, type: second.kind === TokenKind.NAME && second.value === named ? type : null };
    return { name: second.kind === TokenKind.NAME ? second.value : null, type };
  } catch {
    return { name: named, type: null };
  }
}

// The stable code of an error a datasource reported: the MosaicError's name from core/errors.ts
// (MOSAIC_ERR_UPSTREAM_TIMEOUT…), or `unknown` for anything else. A metric label and a span attribute, so it is
// always one of a fixed set.
import { MosaicError } from '../../core/errors.ts';

export const errorCodeOf = (error: unknown): string => (error instanceof MosaicError ? error.errorName : 'unknown');

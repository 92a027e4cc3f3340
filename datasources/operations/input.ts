// An operation's input as it is stored and compared: secrets dropped (an operation or audit record may be read by
// administrators and sits in backups — a password or token must never land there), and a hash of what is left,
// so a reused idempotency key with different input is told apart from a retry.
import { createHash } from 'node:crypto';

const SECRET = /pass(word|phrase)?|secret|token|credential|private|user_?data|admin_?pass/i;

/** A deep copy without keys that name secrets, and without undefined/null values (absent and null are the same input). */
export function dropSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropSecrets);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined || v === null || (SECRET.test(k) && k !== 'idempotencyKey')) continue;
      out[k] = dropSecrets(v);
    }
    return out;
  }
  return value;
}

/** JSON with object keys sorted, so equal input hashes equally whatever the order the client wrote it in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** SHA-256 of the kind and the (secret-free) input. */
export function inputHash(kind: string, input: unknown): string {
  return createHash('sha256').update(kind).update('\n').update(canonical(input)).digest('hex');
}

// Runs a multi-key upstream call per chunk of keys in parallel and lays the answers out per key, so a failed
// chunk fails only its own keys (DESIGN.md "Batching: the rules": an Error for that key alone).

export async function perChunk<K, V>(
  keys: readonly K[],
  chunks: K[][],
  fetch: (chunk: K[]) => Promise<Map<K, V>>,
  missing: V,
): Promise<(V | Error)[]> {
  const results = new Map<K, V | Error>();
  await Promise.all(
    chunks.map(async (c) => {
      try {
        const found = await fetch(c);
        for (const k of c) results.set(k, found.get(k) ?? missing);
      } catch (err) {
        for (const k of c) results.set(k, err as Error);
      }
    }),
  );
  return keys.map((k) => results.get(k) ?? missing);
}

// TEMPORARY until the metering store lands: metrics off.
import type { MeteringReader } from '../datasources/metering-reader.ts';
import type { Cloud } from '../subgraphs/seed/types.ts';

export interface MeteringHandle { reader: MeteringReader; stop(): Promise<void> }

export async function startMetering(_opts: { uri?: string; database: string; cloud?: Cloud; log?: (line: string) => void }): Promise<MeteringHandle | null> {
  return null;
}

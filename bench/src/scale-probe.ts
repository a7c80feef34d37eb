// One memory reading of the scale suite in a fresh process (fresh-process.ts),
// run by scale-measure.ts with --expose-gc and a ProbeRequest as its settings:
// connect to the first tenth of the peers (so code, heap and allocator are
// warm), read memory, connect to the rest, read again. The growth divided by
// the connections added is the marginal cost of one connection, free of the
// one-time costs a first connection pays, and of memory that earlier trials
// freed (a process that measured before would reuse it and read ~0).
import { serveJob } from './fresh-process.js';
import { BareSide, IpcmSide, perConnection, settledMemory, type PerConnection, type Side } from './scale-sides.js';
import type { ScaleImpl } from './scale-measure.js';

export interface ProbeRequest {
  readonly impl: ScaleImpl;
  readonly id: string;
  readonly route: string;
  readonly barePaths: readonly string[];
  readonly ids: readonly string[];
  readonly timeoutMs: number;
}

async function probe(request: ProbeRequest): Promise<PerConnection> {
  const n = request.ids.length;
  const side: Side =
    request.impl === '@ipcm'
      ? await IpcmSide.open(request.id, request.route, request.ids, request.timeoutMs)
      : new BareSide(request.id, request.barePaths, request.ids, request.timeoutMs);
  try {
    const warm = Math.max(1, Math.ceil(n / 10));
    await side.sendTo(0, warm);
    const before = settledMemory();
    await side.sendTo(warm, n);
    const after = settledMemory();
    return perConnection(before, after, n - warm);
  } finally {
    await side.close();
  }
}

serveJob(probe);

// Small helpers shared by the client-core unit tests.

/** The error `fn` throws; fails the test if it throws nothing. */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

/** `bytes` cut into chunks of `size` bytes (the last may be shorter). */
export function split(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

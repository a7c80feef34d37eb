/**
 * Makes a handle keep the process alive, or not, where it can say so: a
 * socket, a server, an `fs.watch` watcher and a real timer can; an
 * in-memory stream or a test's fake timer handle need not.
 */
export function setRef(handle: unknown, on: boolean): void {
  const target = handle as { ref?: () => void; unref?: () => void } | null | undefined;
  if (on) target?.ref?.();
  else target?.unref?.();
}

/** `handle` with `unref()` called if it has one: a timer that must never keep the process alive. */
export function unref<T>(handle: T): T {
  setRef(handle, false);
  return handle;
}

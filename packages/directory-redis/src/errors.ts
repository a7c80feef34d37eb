/*
 * The one error code this package adds to client-core's set.
 *
 * client-core's `IpcmError.code` is typed as its closed union of codes
 * (`IpcmErrorCode`), which has no member for an unreachable store. Until it
 * gains one, the class below extends `IpcmError` through a constructor
 * typed with a string `code`: at run time it is a real `IpcmError`
 * (`instanceof IpcmError` holds, `name` and `cause` behave the same); its
 * static type keeps the literal code, so `err.code ===
 * 'ERR_IPCM_DIRECTORY_UNAVAILABLE'` type-checks in user code.
 */
import { IpcmError } from '@ipcm/client-core';

/** The code of {@link DirectoryUnavailableError}. */
export const DIRECTORY_UNAVAILABLE = 'ERR_IPCM_DIRECTORY_UNAVAILABLE';

const OpenCodedError = IpcmError as unknown as abstract new (
  message: string,
  options?: { cause?: unknown },
) => Error & { readonly code: string };

/**
 * Redis did not answer: not connected (and not ready within
 * `commandTimeoutMs`), the command timed out, or it failed; `cause` holds
 * the underlying error when there is one.
 */
export class DirectoryUnavailableError extends OpenCodedError {
  override readonly code = DIRECTORY_UNAVAILABLE;
}

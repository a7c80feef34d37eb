// The error this package raises beyond client-core's usual ones. Its class
// lives in client-core (one list of codes, usable by any directory); it is
// re-exported here so `import { DirectoryUnavailableError } from
// '@ipcm/directory-redis'` keeps working.
export { DirectoryUnavailableError } from '@ipcm/client-core';

import { isIP } from 'node:net';

/**
 * True for `localhost`, `127.0.0.0/8`, `::1` and `::ffff:127.x.x.x`: hosts
 * only this machine can reach. A listener or a published address on any
 * other host is reachable from other machines, so it needs a token or TLS
 * (client-tcp's bind check, a directory's publish check).
 *
 * @example
 * ```ts
 * isLoopback('127.0.0.2'); // true
 * isLoopback('0.0.0.0');   // false: every interface
 * ```
 */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const v4 = host.startsWith('::ffff:') ? host.slice(7) : host;
  if (isIP(v4) === 4) return v4.startsWith('127.');
  return isIP(host) === 6 && /^(0{0,4}:){2,7}0{0,3}1$|^::1$/.test(host);
}

// TCP's address rule (moved from client-core, which checks only an
// address's shape): what TcpTransport.canDial accepts from a directory.
import { isTcpAddress, type RouteAddress } from '../src/index.js';

const accepted: Array<[string, RouteAddress]> = [
  ['an IPv4 host', { transport: 'tcp', host: '127.0.0.1', port: 4000 }],
  ['a host name and port 1', { transport: 'tcp', host: 'db.example', port: 1 }],
  ['an IPv6 host and port 65535', { transport: 'tcp', host: '::1', port: 65535 }],
  ['keys of its own beside them', { transport: 'tcp', host: '127.0.0.1', port: 4000, tls: true }],
];
const refused: Array<[string, RouteAddress]> = [
  ['another transport', { transport: 'unix', host: '127.0.0.1', port: 4000 }],
  ['an empty host', { transport: 'tcp', host: '', port: 80 }],
  ['no host', { transport: 'tcp', port: 80 }],
  ['a host that is not a string', { transport: 'tcp', host: 127, port: 80 }],
  ['no port', { transport: 'tcp', host: 'h' }],
  ['port 0', { transport: 'tcp', host: 'h', port: 0 }],
  ['port 65536', { transport: 'tcp', host: 'h', port: 65536 }],
  ['a fractional port', { transport: 'tcp', host: 'h', port: 80.5 }],
  ['a port in a string', { transport: 'tcp', host: 'h', port: '80' }],
];

test.each(accepted)('isTcpAddress accepts %s', (_, address) => {
  expect(isTcpAddress(address)).toBe(true);
});

test.each(refused)('isTcpAddress refuses %s', (_, address) => {
  expect(isTcpAddress(address)).toBe(false);
});

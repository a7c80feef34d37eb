import { defineRequestSuite } from '../../client-core/test/conformance/requests.js';
import { tcpTarget } from './tcp-target.js';

defineRequestSuite(tcpTarget);

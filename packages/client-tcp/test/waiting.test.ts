import { defineWaitingSuite } from '../../client-core/test/conformance/waiting.js';
import { tcpTarget } from './tcp-target.js';

defineWaitingSuite(tcpTarget);

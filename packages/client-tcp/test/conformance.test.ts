import { defineProtocolSuite } from '../../client-core/test/conformance/protocol.js';
import { defineContentSuite } from '../../client-core/test/conformance/content.js';
import { defineSendSuite } from '../../client-core/test/conformance/send.js';
import { defineBehaviourSuite } from '../../client-core/test/conformance/suite.js';
import { tcpTarget } from './tcp-target.js';

// The same behaviours, byte for byte, as the Unix client.
defineBehaviourSuite(tcpTarget);
defineContentSuite(tcpTarget);
defineProtocolSuite(tcpTarget);
defineSendSuite(tcpTarget);

import { defineProtocolSuite } from '../../client-core/test/conformance/protocol.js';
import { defineSendingSuite } from '../../client-core/test/conformance/sending.js';
import { defineSendSuite } from '../../client-core/test/conformance/send.js';
import { defineBehaviourSuite } from '../../client-core/test/conformance/suite.js';
import { tcpTarget } from './tcp-target.js';

// The same behaviours, byte for byte, as the Unix client.
defineBehaviourSuite(tcpTarget);
defineSendingSuite(tcpTarget);
defineProtocolSuite(tcpTarget);
defineSendSuite(tcpTarget);

import { defineProtocolSuite } from '../../client-core/test/conformance/protocol.js';
import { defineSendingSuite } from '../../client-core/test/conformance/sending.js';
import { defineSendSuite } from '../../client-core/test/conformance/send.js';
import { defineBehaviourSuite } from '../../client-core/test/conformance/suite.js';
import { unixTarget } from './unix-target.js';

defineBehaviourSuite(unixTarget);
defineSendingSuite(unixTarget);
defineProtocolSuite(unixTarget);
defineSendSuite(unixTarget);

export { unixTarget };

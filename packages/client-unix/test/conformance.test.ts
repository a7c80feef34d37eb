import { defineProtocolSuite } from '../../client-core/test/conformance/protocol.js';
import { defineSendingSuite } from '../../client-core/test/conformance/sending.js';
import { defineBehaviourSuite } from '../../client-core/test/conformance/suite.js';
import { unixTarget } from './unix-target.js';

defineBehaviourSuite(unixTarget);
defineSendingSuite(unixTarget);
defineProtocolSuite(unixTarget);

export { unixTarget };

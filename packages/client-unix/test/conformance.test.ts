import { defineProtocolSuite } from '../../client-core/test/conformance/protocol.js';
import { defineContentSuite } from '../../client-core/test/conformance/content.js';
import { defineSendSuite } from '../../client-core/test/conformance/send.js';
import { defineBehaviourSuite } from '../../client-core/test/conformance/suite.js';
import { unixTarget } from './unix-target.js';

defineBehaviourSuite(unixTarget);
defineContentSuite(unixTarget);
defineProtocolSuite(unixTarget);
defineSendSuite(unixTarget);

export { unixTarget };

import { defineProtocolSuite } from '../../client-core/test/conformance/protocol.js';
import { defineBehaviourSuite } from '../../client-core/test/conformance/suite.js';
import { unixTarget } from './unix-target.js';

defineBehaviourSuite(unixTarget);
defineProtocolSuite(unixTarget);

export { unixTarget };

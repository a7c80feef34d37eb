// The conformance suite, unchanged, against the custom-transport example:
// every suite the Unix and TCP clients run (the attack and request suites
// are in attack.test.ts and requests.test.ts, as in client-unix).
import { defineContentSuite } from '../../packages/client-core/test/conformance/content.js';
import { defineProtocolSuite } from '../../packages/client-core/test/conformance/protocol.js';
import { defineSendSuite } from '../../packages/client-core/test/conformance/send.js';
import { defineBehaviourSuite } from '../../packages/client-core/test/conformance/suite.js';
import { defineWaitingSuite } from '../../packages/client-core/test/conformance/waiting.js';
import { abstractTarget } from './abstract-target.js';

defineBehaviourSuite(abstractTarget);
defineContentSuite(abstractTarget);
defineProtocolSuite(abstractTarget);
defineSendSuite(abstractTarget);
defineWaitingSuite(abstractTarget);

// The conformance suite, unchanged, against the custom-transport example.
import { defineBehaviourSuite } from '../../packages/client-core/test/conformance/suite.js';
import { defineWaitingSuite } from '../../packages/client-core/test/conformance/waiting.js';
import { abstractTarget } from './abstract-target.js';

defineBehaviourSuite(abstractTarget);
defineWaitingSuite(abstractTarget);

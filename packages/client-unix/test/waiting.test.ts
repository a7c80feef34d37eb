import { defineWaitingSuite } from '../../client-core/test/conformance/waiting.js';
import { unixTarget } from './unix-target.js';

defineWaitingSuite(unixTarget);

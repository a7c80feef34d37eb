import { defineAttackSuite } from '../../client-core/test/conformance/attack.js';
import { unixTarget } from './unix-target.js';

defineAttackSuite(unixTarget);

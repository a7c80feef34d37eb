import { defineAttackSuite } from '../../packages/client-core/test/conformance/attack.js';
import { abstractTarget } from './abstract-target.js';

defineAttackSuite(abstractTarget);

import { defineRequestSuite } from '../../packages/client-core/test/conformance/requests.js';
import { abstractTarget } from './abstract-target.js';

defineRequestSuite(abstractTarget);

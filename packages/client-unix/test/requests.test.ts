import { defineRequestSuite } from '../../client-core/test/conformance/requests.js';
import { unixTarget } from './unix-target.js';

defineRequestSuite(unixTarget);

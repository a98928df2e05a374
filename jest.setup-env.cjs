// Runs before every jest test file: where the shared third-party fixtures live.
// Override with BITNET_FIXTURES=/path/to/fixtures; the default is ../shared/fixtures beside the checkout.
const path = require('node:path');
if (!process.env.BITNET_FIXTURES) {
  process.env.BITNET_FIXTURES = path.resolve(__dirname, '..', 'shared', 'fixtures');
}

/**
 * @bitnet-wasm/dev-server — static server for the demo with cross-origin isolation headers and HTTP
 * Range. Library entry; the command line is `bin/dev-server.cjs` (see ./main).
 */
export {
  createDevServer,
  parseRange,
  resolveRequestPath,
  contentTypeFor,
  CONTENT_TYPES,
  type DevServer,
  type DevServerOptions,
  type Mount,
  type ByteRange,
} from './server';
export { main, parseArgs, mountsFor, USAGE, CliError, type CliOptions } from './main';

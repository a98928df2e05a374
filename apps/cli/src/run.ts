/** Entry point of the bundled CLI (see bin/bitnet.cjs): run main() and exit with its code. */
import './enable-relaxed-simd'; // must run before any WebAssembly is compiled
import { main } from './main';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // the threaded kernels keep worker threads alive; the CLI is done
    setImmediate(() => process.exit(code));
  },
  (e) => {
    process.stderr.write(`bitnet: ${(e as Error)?.stack ?? e}\n`);
    process.exit(1);
  },
);

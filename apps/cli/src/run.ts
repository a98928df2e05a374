/** Entry point of the bundled CLI (see bin/bitnet.cjs): run main() and exit with its code. */
import './enable-relaxed-simd'; // must run before any WebAssembly is compiled
import { main } from './main';

/** Exit once stdout and stderr are flushed (a large --json document on a pipe must not be cut short),
 * even if a thread pool of the kernels would keep the event loop alive. */
function exitAfterFlush(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(exitAfterFlush, (e) => {
  process.stderr.write(`bitnet: ${(e as Error)?.stack ?? e}\n`);
  exitAfterFlush(1);
});

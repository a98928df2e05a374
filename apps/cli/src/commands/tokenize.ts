/**
 * `bitnet tokenize`: the token ids of a text under a GGUF's tokenizer (works on vocab-only GGUFs too).
 *   bitnet tokenize --model <gguf> [--no-bos] [--parse-special] [--json] [--show-pieces] [--file <path>|- | <text>…]
 * Prints the ids on one line (a JSON array with --json); --show-pieces prints one `id<TAB>piece` line per token
 * (with --json: an array of {id, piece}), where a piece that is not valid UTF-8 on its own is shown as <0xXX> bytes.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { openFileSource, parseGguf } from '@bitnet-wasm/gguf/node';
import { Tokenizer } from '@bitnet-wasm/tokenizer';

// Self-contained on purpose (same conventions as the other commands: usage errors exit 2, other errors print
// `error [code]: message` and exit 1), so that this command does not depend on files still being written.
class UsageError extends Error {
  readonly code = 'usage';
}

function reportError(e: unknown): number {
  if (e instanceof UsageError) {
    process.stderr.write(`usage error: ${e.message}\n`);
    return 2;
  }
  const err = e as { code?: string; message?: string; name?: string };
  process.stderr.write(`error [${err?.code ?? err?.name ?? 'error'}]: ${err?.message ?? String(e)}\n`);
  return 1;
}

const USAGE = 'usage: bitnet tokenize --model <gguf> [--no-bos] [--parse-special] [--json] [--show-pieces] [--file <path>|- | <text>]';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** How a token reads on its own: its text when it is valid UTF-8, else its bytes as <0xXX>. */
function pieceOf(tok: Tokenizer, id: number): string {
  const bytes = tok.tokenBytes(id, { special: true });
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return Array.from(bytes, (b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`).join('');
  }
}

export async function tokenizeCommand(argv: string[]): Promise<number> {
  try {
    let parsed;
    try {
      parsed = parseArgs({
        args: argv,
        options: {
          model: { type: 'string', short: 'm' },
          file: { type: 'string', short: 'f' },
          'no-bos': { type: 'boolean' },
          'parse-special': { type: 'boolean' },
          json: { type: 'boolean' },
          'show-pieces': { type: 'boolean' },
          help: { type: 'boolean', short: 'h' },
        },
        allowPositionals: true,
        strict: true,
      });
    } catch (e) {
      throw new UsageError(`${(e as Error).message}\n${USAGE}`);
    }
    const { values: v, positionals } = parsed;
    if (v.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (!v.model) throw new UsageError(USAGE);
    if (v.file !== undefined && positionals.length > 0) throw new UsageError(`give either --file or a text, not both\n${USAGE}`);
    if (v.file === undefined && positionals.length === 0) throw new UsageError(`no text to tokenize\n${USAGE}`);
    const text = v.file === '-' ? await readStdin() : v.file !== undefined ? await readFile(v.file, 'utf8') : positionals.join(' ');

    const source = await openFileSource(v.model);
    let tok: Tokenizer;
    try {
      tok = Tokenizer.fromGguf(await parseGguf(source), { onWarning: (m) => process.stderr.write(`warning: ${m}\n`) });
    } finally {
      await source.close?.();
    }

    const ids = tok.encode(text, { addBos: v['no-bos'] ? false : tok.addBos, parseSpecial: v['parse-special'] ?? false });
    let out: string;
    if (v['show-pieces']) {
      const rows = ids.map((id) => ({ id, piece: pieceOf(tok, id) }));
      out = v.json ? JSON.stringify(rows) : rows.map((r) => `${r.id}\t${JSON.stringify(r.piece)}`).join('\n');
    } else {
      out = v.json ? JSON.stringify(ids) : ids.join(' ');
    }
    process.stdout.write(out + '\n');
    return 0;
  } catch (e) {
    return reportError(e);
  }
}

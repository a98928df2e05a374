/**
 * The `bitnet` command line: a table of subcommands, one file each under ./commands.
 * Every command takes its argv (after the command name) and resolves to an exit code.
 */
import { benchCommand } from './commands/bench';
import { chatCommand } from './commands/chat';
import { evalCommand } from './commands/eval';
import { generateCommand } from './commands/generate';
import { inspectCommand } from './commands/inspect';
import { tokenizeCommand } from './commands/tokenize';

export type Command = (argv: string[]) => Promise<number>;

export const COMMANDS: Record<string, { run: Command; summary: string }> = {
  inspect: { run: inspectCommand, summary: 'GGUF header: metadata, tensor table, totals by type (--json)' },
  tokenize: { run: tokenizeCommand, summary: 'text → token ids with a model\'s tokenizer' },
  generate: { run: generateCommand, summary: 'stream a completion (greedy with --temp 0)' },
  chat: { run: chatCommand, summary: 'interactive chat in the terminal' },
  eval: { run: evalCommand, summary: 'write the logits of every position as float32 rows' },
  bench: { run: benchCommand, summary: 'prefill/decode tokens per second, llama-bench style (--json)' },
};

export function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([k, c]) => `  ${k.padEnd(w)}  ${c.summary}`);
  return `usage: bitnet <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nbitnet <command> --help for a command's options.\n`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`bitnet: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return cmd.run(rest);
}

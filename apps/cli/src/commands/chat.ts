/**
 * `bitnet chat --model <gguf>`: an interactive chat in the terminal using the model's chat format.
 * Commands at the prompt: /reset clears the conversation, /exit (or Ctrl-D) quits. Ctrl-C stops the
 * current reply (the model stays loaded).
 */
import { createInterface } from 'node:readline';
import { loadModel, type ChatMessage } from '@bitnet-wasm/runtime/node';
import { intOpt, parse, progressBar, reportError, UsageError } from '../cli-util';
import { GENERATE_OPTIONS, loadOptionsFrom, samplingFrom } from './generate';

export async function chatCommand(argv: string[]): Promise<number> {
  try {
    const { values: v } = parse(argv, { ...GENERATE_OPTIONS, system: { type: 'string', short: 's' } });
    if (!v.model) throw new UsageError('usage: bitnet chat --model <gguf> [--system <text>] [sampling options]');
    const model = await loadModel(v.model, { ...loadOptionsFrom(v), onProgress: progressBar('loading') });
    const rl = createInterface({ input: process.stdin, terminal: false });
    const messages: ChatMessage[] = v.system ? [{ role: 'system', content: v.system }] : [];
    let current: AbortController | undefined;
    const onSigint = () => {
      if (current) current.abort();
      else rl.close();
    };
    process.on('SIGINT', onSigint);
    process.stderr.write(`${model.info.architecture} loaded · ${model.plan.nCtx} tokens context · /reset, /exit\n`);
    try {
      process.stdout.write('> ');
      // async iteration buffers piped input line by line (question() would drop lines that arrive early)
      for await (const line of rl) {
        const text = line.trim();
        if (text === '/exit') break;
        if (text === '/reset') {
          messages.length = v.system ? 1 : 0;
          model.reset();
          process.stdout.write('> ');
          continue;
        }
        if (!text) {
          process.stdout.write('> ');
          continue;
        }
        messages.push({ role: 'user', content: text });
        current = new AbortController();
        let reply = '';
        try {
          const it = model.chat(messages, { maxTokens: intOpt(v.n, 'n', 512), sampling: samplingFrom(v), signal: current.signal });
          for await (const ev of it) {
            reply += ev.text;
            process.stdout.write(ev.text);
          }
        } catch (e) {
          if ((e as Error).name !== 'AbortError') throw e;
          process.stdout.write(' [stopped]');
        } finally {
          current = undefined;
        }
        process.stdout.write('\n> ');
        messages.push({ role: 'assistant', content: reply.trim() });
      }
      process.stdout.write('\n');
    } finally {
      process.off('SIGINT', onSigint);
      rl.close();
      model.dispose();
    }
    return 0;
  } catch (e) {
    return reportError(e);
  }
}

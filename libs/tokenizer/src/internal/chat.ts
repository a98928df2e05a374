/**
 * Chat formatting: the GGUF's own `tokenizer.chat_template` (a Hugging Face Jinja template) rendered with
 * @huggingface/jinja, or — when the file has none — the BitNet b1.58 2B-4T format (spec §4.2):
 * `<bos>System: …<eot>User: …<eot>Assistant: ` with capitalised role names and trimmed contents.
 */
import { Template } from '@huggingface/jinja';
import { TokenizerError } from './errors';

/** One chat message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const ROLE_NAMES: Record<ChatMessage['role'], string> = { system: 'System', user: 'User', assistant: 'Assistant' };

/** The built-in 2B-4T format. `bos` is prefixed once; `eot` ends every turn. */
export function renderBitnetChat(messages: readonly ChatMessage[], bos: string, eot: string, addGenerationPrompt: boolean): string {
  let out = bos;
  for (const m of messages) {
    const name = ROLE_NAMES[m.role];
    if (name === undefined) throw new TokenizerError('template', `tokenizer: unknown chat role ${JSON.stringify(m.role)}`);
    out += `${name}: ${String(m.content).trim()}${eot}`;
  }
  if (addGenerationPrompt) out += `${ROLE_NAMES.assistant}: `;
  return out;
}

/** A compiled Jinja chat template. */
export class JinjaChatTemplate {
  private readonly template: Template;

  constructor(source: string) {
    try {
      this.template = new Template(source);
    } catch (e) {
      throw new TokenizerError('template', `tokenizer: tokenizer.chat_template does not parse: ${(e as Error).message}`, { cause: e });
    }
  }

  render(messages: readonly ChatMessage[], ctx: { bos: string; eos: string; addGenerationPrompt: boolean }): string {
    try {
      return this.template.render({
        messages: messages.map((m) => ({ role: m.role, content: m.content })),
        add_generation_prompt: ctx.addGenerationPrompt,
        bos_token: ctx.bos,
        eos_token: ctx.eos,
      });
    } catch (e) {
      throw new TokenizerError('template', `tokenizer: tokenizer.chat_template failed to render: ${(e as Error).message}`, { cause: e });
    }
  }
}

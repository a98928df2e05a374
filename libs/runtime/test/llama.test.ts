/** The real LLaMA GGUF from ollama (F16 `llama` graph, SentencePiece vocab) runs end to end. */
import { join } from 'node:path';
import { loadModel } from '../src/node';

it('llama-2-tiny-random.gguf generates text with finite logits', async () => {
  const model = await loadModel(join(process.env.BITNET_FIXTURES!, 'third-party/ollama/llama-2-tiny-random.gguf'), { threads: 1, contextLength: 128 });
  expect(model.hparams.architecture).toBe('llama');
  expect(model.tokenizer.model).toBe('llama');
  const logits = model.eval(model.tokenize('Hello world'));
  expect(logits.length).toBe(model.hparams.nVocab);
  expect(logits.every(Number.isFinite)).toBe(true);
  const r = await model.complete('Once upon a time', { maxTokens: 8, stopAtEog: false });
  expect(r.tokens.length).toBe(8);
  expect(typeof r.text).toBe('string');
  model.dispose();
});

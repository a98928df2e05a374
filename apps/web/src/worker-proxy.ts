/**
 * Page side of the worker protocol: turns postMessage traffic into promises (one per request) and
 * async iterators (token streams), routes events to their request by id, and maps AbortSignals to
 * `abort` requests. Works with anything shaped like a Worker (tests use an in-memory port).
 */
import {
  isResponseMessage,
  type GenerateInput,
  type GenerateResult,
  type ModelSource,
  type RequestBody,
  type RequestType,
  type ResultMap,
  type SamplingSettings,
  type WorkerError,
  type WorkerEvent,
} from './protocol';

/** The part of a Worker the proxy uses. */
export interface PortLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  removeEventListener(type: 'message', listener: (ev: { data: unknown }) => void): void;
  terminate?(): void;
}

/** A request the worker answered with an error. */
export class WorkerRequestError extends Error {
  readonly code: string;
  constructor(error: WorkerError) {
    super(error.message);
    this.name = 'WorkerRequestError';
    this.code = error.code;
  }
}

export interface RequestOptions {
  /** Aborting sends `{type:'abort', target:id}`; the request then rejects with code 'aborted'. */
  signal?: AbortSignal;
  /** Events for this request (progress, tokens). */
  onEvent?: (event: WorkerEvent) => void;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  onEvent?: (event: WorkerEvent) => void;
}

/** A running generation: iterate for token events; `result` settles when the worker answers. */
export interface GenerationStream extends AsyncIterable<Extract<WorkerEvent, { type: 'token' }>> {
  readonly id: number;
  readonly result: Promise<GenerateResult>;
  /** Asks the worker to stop; `result` then resolves with stopReason 'aborted' and the partial reply. */
  abort(): void;
}

export class WorkerProxy {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly onMessage = (ev: { data: unknown }): void => this.dispatch(ev.data);

  constructor(private readonly port: PortLike) {
    port.addEventListener('message', this.onMessage);
  }

  /** Sends one request; resolves with its typed result or rejects with a WorkerRequestError. */
  request<T extends RequestType>(body: Extract<RequestBody, { type: T }>, opts: RequestOptions = {}): Promise<ResultMap[T]> {
    const id = this.nextId++;
    return new Promise<ResultMap[T]>((resolve, reject) => {
      const signal = opts.signal;
      if (signal?.aborted) {
        reject(new WorkerRequestError({ code: 'aborted', message: 'aborted before it was sent' }));
        return;
      }
      const onAbort = (): void => this.port.postMessage({ kind: 'request', id: this.nextId++, body: { type: 'abort', target: id } });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v as ResultMap[T]);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
        onEvent: opts.onEvent,
      });
      this.port.postMessage({ kind: 'request', id, body });
    });
  }

  capabilities(): Promise<ResultMap['capabilities']> {
    return this.request({ type: 'capabilities' });
  }

  inspectHeader(source: ModelSource, opts?: RequestOptions): Promise<ResultMap['inspect-header']> {
    return this.request({ type: 'inspect-header', source }, opts);
  }

  load(source: ModelSource, opts?: RequestOptions): Promise<ResultMap['load']> {
    return this.request({ type: 'load', source }, opts);
  }

  reset(): Promise<ResultMap['reset']> {
    return this.request({ type: 'reset' });
  }

  dispose(): Promise<ResultMap['dispose']> {
    return this.request({ type: 'dispose' });
  }

  cacheList(): Promise<ResultMap['cache-list']> {
    return this.request({ type: 'cache-list' });
  }

  cacheDelete(key: string): Promise<ResultMap['cache-delete']> {
    return this.request({ type: 'cache-delete', key });
  }

  /** Starts a generation (chat or raw prompt) and streams its tokens. */
  generate(input: GenerateInput, sampling: SamplingSettings, signal?: AbortSignal): GenerationStream {
    const queue: Extract<WorkerEvent, { type: 'token' }>[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    const controller = new AbortController();
    signal?.addEventListener('abort', () => controller.abort(), { once: true });
    const id = this.nextId; // the id request() is about to take
    const result = this.request(
      { type: 'generate', input, sampling },
      {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'token') {
            queue.push(e);
            wake?.();
          }
        },
      },
    );
    const finish = (): void => {
      finished = true;
      wake?.();
    };
    result.then(finish, finish);
    return {
      id,
      result,
      abort: () => controller.abort(),
      async *[Symbol.asyncIterator]() {
        for (;;) {
          const next = queue.shift();
          if (next) {
            yield next;
            continue;
          }
          if (finished) return;
          await new Promise<void>((r) => (wake = r));
          wake = undefined;
        }
      },
    };
  }

  /** Rejects everything pending and stops the worker. */
  terminate(): void {
    this.port.removeEventListener('message', this.onMessage);
    for (const p of this.pending.values()) p.reject(new WorkerRequestError({ code: 'terminated', message: 'the worker was terminated' }));
    this.pending.clear();
    this.port.terminate?.();
  }

  private dispatch(data: unknown): void {
    if (!isResponseMessage(data)) return;
    const p = this.pending.get(data.id);
    if (!p) return;
    if (data.kind === 'event') {
      p.onEvent?.(data.event);
      return;
    }
    this.pending.delete(data.id);
    if (data.ok) p.resolve(data.result);
    else p.reject(new WorkerRequestError(data.error));
  }
}

/**
 * Turns what the engine read from a model's header into the page's header box: the parsed GGUF
 * (@bitnet-wasm/gguf `parseGguf`) gives architecture, name, tensor types, parameter count and size;
 * the runtime's memory plan (`inspectModel`) gives the verdict "fits" or "will not fit because …".
 * A header the engine can not run (unknown architecture, missing tensor…) gets a "no" verdict with
 * the engine's own explanation. Pure functions, so they are tested in Node.
 */
import { tensorStats, type GgufFile } from '@bitnet-wasm/gguf';
import type { MemoryPlan } from '@bitnet-wasm/runtime';
import type { HeaderSummary, PlanSummary } from './protocol';
import { formatBytes } from './format';

/** Architecture, name, counts, tensor types and size of a parsed header (no verdict yet). */
export function summarizeHeader(gguf: GgufFile, fileBytes?: number): HeaderSummary {
  const { tensorTypes, parameterCount } = tensorStats(gguf);
  const name = gguf.metadata['general.name'];
  const out: HeaderSummary = {
    version: gguf.version,
    tensorCount: gguf.tensors.length,
    metadataCount: Object.keys(gguf.metadata).length,
    parameterCount,
    tensorTypes,
    fileBytes: fileBytes ?? gguf.fileSize ?? 0,
  };
  if (gguf.architecture !== undefined) out.architecture = gguf.architecture;
  if (typeof name === 'string') out.name = name;
  return out;
}

/** The plan's numbers the page shows (the plan itself holds per-tensor records not worth posting). */
export function summarizePlan(plan: MemoryPlan): PlanSummary {
  const s: PlanSummary = {
    fits: plan.fits,
    totalBytes: plan.totalBytes,
    weightBytes: plan.weightBytes,
    kvBytes: plan.kvBytes,
    limitBytes: plan.limitBytes,
    nCtx: plan.nCtx,
  };
  if (!plan.fits) s.reason = plan.reason ?? `it needs ${formatBytes(plan.totalBytes)} of WebAssembly memory, more than the ${formatBytes(plan.limitBytes)} limit`;
  return s;
}

/** The verdict line of a plan: "fits: …" or "will not fit because …". */
export function planVerdict(plan: PlanSummary): { ok: boolean; reason: string } {
  if (plan.fits) {
    return {
      ok: true,
      reason: `fits: ${formatBytes(plan.totalBytes)} of WebAssembly memory (weights ${formatBytes(plan.weightBytes)} + KV cache ${formatBytes(plan.kvBytes)} for ${plan.nCtx} tokens) of the ${formatBytes(plan.limitBytes)} limit`,
    };
  }
  return { ok: false, reason: `will not fit because ${plan.reason ?? 'the memory plan exceeds the limit'}` };
}

/** A header with the plan's verdict. */
export function withPlan(h: HeaderSummary, plan: MemoryPlan): HeaderSummary {
  const p = summarizePlan(plan);
  return { ...h, plan: p, fit: planVerdict(p) };
}

/** A header the engine refused to plan for (its typed error explains why). */
export function withEngineRefusal(h: HeaderSummary, error: { code?: string; message: string }): HeaderSummary {
  return { ...h, fit: { ok: false, reason: `the engine can not run this file (${error.code ?? 'error'}): ${error.message}` } };
}

/** Errors from the kernel layer. C functions return a bn_status; non-zero ones become a KernelsError. */
export type KernelsErrorCode =
  | 'bad_argument'
  | 'bad_shape'
  | 'bad_type'
  | 'out_of_memory'
  | 'threads'
  | 'bad_state'
  | 'out_of_range'
  | 'bad_data'
  | 'abi_mismatch'
  | 'load_failed'
  | 'unknown_status';

// Mirrors enum bn_status in native/include/bitnet-common.h (BN_OK = 0 has no error code).
const STATUS: readonly KernelsErrorCode[] = [
  'unknown_status',
  'bad_argument',
  'bad_shape',
  'bad_type',
  'out_of_memory',
  'threads',
  'bad_state',
  'out_of_range',
  'bad_data',
];

export class KernelsError extends Error {
  override readonly name = 'KernelsError';
  constructor(
    readonly code: KernelsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function statusName(status: number): KernelsErrorCode {
  return (status > 0 && STATUS[status]) || 'unknown_status';
}

/** Throws a KernelsError for a non-zero bn_status; `what` names the call for the message. */
export function checkStatus(status: number, what: string): void {
  if (status !== 0) throw new KernelsError(statusName(status), `${what}: failed with status ${status} (${statusName(status)})`);
}

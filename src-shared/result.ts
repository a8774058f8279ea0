/**
 * Results cross every boundary (IPC, WebSocket, CLI) as data, never as thrown exceptions:
 * Electron forwards only `message` of a thrown error, so a stable `code` travels in the value.
 */
export type ErrorCode =
  | 'INVALID' // payload failed its schema, or an unknown request name
  | 'NOT_FOUND'
  | 'OUTSIDE_PROJECT' // a path that resolves outside the project folder
  | 'NO_PROJECT'
  | 'EXISTS'
  | 'SCHEMA_TOO_NEW'
  | 'CONFLICT'
  | 'UNAVAILABLE' // e.g. a native dialog in the browser door, ffmpeg missing
  | 'FORBIDDEN'
  | 'CANCELLED'
  | 'FAILED'
  | 'INTERNAL';

export interface ApiError {
  code: ErrorCode;
  message: string;
  /** Where the problem came from: a file, sheet, row, column or field. */
  details?: Record<string, unknown>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ErrorCode, message: string, details?: Record<string, unknown>): Result<never> => ({
  ok: false,
  error: details ? { code, message, details } : { code, message },
});

/** An Error that carries an ApiError code; services throw it, transports turn it into a Result. */
export class KslError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'KslError';
    this.code = code;
    this.details = details;
  }
}

export function toApiError(e: unknown): ApiError {
  if (e instanceof KslError) return e.details ? { code: e.code, message: e.message, details: e.details } : { code: e.code, message: e.message };
  if (e && typeof e === 'object' && 'name' in e && (e as { name: unknown }).name === 'AbortError') {
    return { code: 'CANCELLED', message: 'Cancelled.' };
  }
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'INTERNAL', message };
}

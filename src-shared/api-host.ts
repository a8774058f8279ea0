/**
 * The receiving end of the contract, independent of transport: looks the request up, validates the
 * payload against its schema, runs the handler, and turns every outcome into a Result. Nothing that
 * fails validation reaches a handler.
 */
import { apiRequests, type ApiHandlers, type RequestName } from './api';
import { fail, ok, toApiError, type Result } from './result';

export interface ApiHost {
  handle(name: unknown, args: unknown): Promise<Result<unknown>>;
}

const isRequestName = (n: unknown): n is RequestName =>
  typeof n === 'string' && Object.prototype.hasOwnProperty.call(apiRequests, n);

export function createApiHost(handlers: ApiHandlers, onInternalError?: (name: string, e: unknown) => void): ApiHost {
  return {
    async handle(name, args) {
      if (!isRequestName(name)) return fail('INVALID', `Unknown request ${JSON.stringify(String(name)).slice(0, 80)}.`);
      const parsed = apiRequests[name].args.safeParse(args ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path?.length ? issue.path.join('.') : '(arguments)';
        return fail('INVALID', `${name}: ${where}: ${issue?.message ?? 'invalid'}`, { field: where });
      }
      try {
        const handler = handlers[name] as (a: unknown) => unknown;
        return ok(await handler(parsed.data));
      } catch (e) {
        const err = toApiError(e);
        if (err.code === 'INTERNAL') onInternalError?.(name, e);
        return { ok: false, error: err };
      }
    },
  };
}

/**
 * The editor's part of the API contract (frames, boxes, words, VOC/QA): spread into
 * `apiRequests` in api.ts. Same rules: every request has a zod schema for its arguments.
 */
import { z } from 'zod';

/** Declares a request: its argument schema now, its result type as a type parameter. */
export function request<A extends z.ZodType>(args: A) {
  return <R>() => ({ args, result: undefined as unknown as R });
}

export const editorRequests = {} as const;

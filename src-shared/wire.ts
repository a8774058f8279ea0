/**
 * Message shapes used by the byte/stream transports (WebSocket, in-memory test transport):
 * requests and responses are correlated by id; events are fire-and-forget. Electron IPC uses
 * invoke/handle directly and only needs the event shape.
 */
import { z } from 'zod';

export const WireRequest = z.object({ t: z.literal('req'), id: z.number().int().nonnegative(), name: z.string().max(100), args: z.unknown() });
export type WireRequest = z.infer<typeof WireRequest>;
export interface WireResponse { t: 'res'; id: number; result: unknown }
export interface WireEvent { t: 'evt'; name: string; payload: unknown }
export type WireMessage = WireRequest | WireResponse | WireEvent;

import { MethodError, type Handler } from './types.js';

// `clawgate.inspect.ticket` (web-surfaces.md I4): a single-use, 60-second ticket for the inspector stream,
// bound to the asking connection. operator.admin (policy/authorize.ts); advertised only with --inspect.

/** `clawgate.inspect.ticket`: `{ticket, expiresAtMs}`. */
export const inspectTicket: Handler<'clawgate.inspect.ticket'> = (_params, call, ctx) => {
  // without --inspect the connection's method set leaves it out (unknown method); this is the backstop
  if (!ctx.inspectTickets) throw new MethodError({ code: 'INVALID_REQUEST', message: `unknown method: ${call.method}` });
  return ctx.inspectTickets.issue(call.conn.id);
};

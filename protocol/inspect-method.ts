// The name of `clawgate.inspect.ticket` on its own, without the schemas of protocol/inspect.ts: the WS plane
// needs only the name at start, and the schemas would load TypeBox (see protocol/precompiled.ts).

/** The method's name. */
export const INSPECT_TICKET_METHOD = 'clawgate.inspect.ticket';

let counter = 0;

/** A unique name (`prefix-pid-n-random`), so tests sharing a gateway never share a session, request id or key. */
export const uniq = (prefix: string) => `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

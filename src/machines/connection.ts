import { assign, enqueueActions, setup } from 'xstate';
import type { PreEncoded } from '../../protocol/encode.js';
import { validateConnectParams, validateFrame, validateParams } from '../../protocol/precompiled.js';
import { authorizeMethod, truncateCloseReason, type ErrorShape } from '../policy/authorize.js';
import { missingSessionTarget } from '../policy/session-target.js';

// One WebSocket connection (openclaw-protocol.md §3): challenge sent → connect validated → admitted →
// authenticated → closed. Pure: frames come in as FRAME events; what to send or close goes out as emitted
// events; admission (secrets, devices, pairing) is the `admit` action provided by src/actors, which answers
// with ADMITTED (raised in the same step when admission decided on the spot, sent later when it waits) or
// ADMISSION_FAILED. No child actor, no promise, no timer: a connect is one step from its frame to hello-ok,
// and the handshake deadline is an event (HANDSHAKE_TIMEOUT) from the hub's timer, which runs from the open.

/** What the hub gives a connection actor when the socket opens. */
export interface ConnectionInput {
  connId: string;
  /** The nonce of the `connect.challenge` already sent on open. */
  nonce: string;
  /** Largest frame accepted before hello (64 KiB). */
  preauthMaxBytes: number;
  /** Frames that may wait while `connect` is being admitted (15). */
  maxPendingFrames: number;
  /** Where the socket comes from; admission decides locality and origin rules from it. */
  peer: PeerInfo;
  /** Methods that have a handler; anything else is an unknown method. */
  methods: ReadonlySet<string>;
}

/** Where a socket comes from, as the transport saw it. */
export interface PeerInfo {
  remoteAddress: string;
  /** Loopback peer and no forwarding headers (openclaw-protocol.md §9). */
  local: boolean;
  origin?: string;
  /** `<scheme>://<host>` as the client addressed the gateway (from the upgrade's Host), for URLs in hello-ok. */
  urlBase?: string;
}

/** What admission decided for an accepted connect. */
export interface Admitted {
  role: string;
  scopes: string[];
  /** The hello-ok payload to send (serialized once from a template by the gateway: PreEncoded). */
  hello: Record<string, unknown> | PreEncoded;
  /** Anything the edge needs about the client (client info, caps, device). */
  client: Record<string, unknown>;
}

/** Admission's answer (ADMITTED): admitted, or the error to answer and the close code to send. */
export type AdmitResult =
  | { ok: true; admitted: Admitted }
  | { ok: false; error: ErrorShape; close: { code: number; reason: string } };

/** What admission decides on: the connection, its challenge nonce, its peer and the `connect` params. */
export interface AdmitInput {
  connId: string;
  nonce: string;
  peer: PeerInfo;
  params: Record<string, unknown>;
}

/** What admission gets for the `connect` held in a connection's context (the `admit` action's argument). */
export function admitInputOf(context: ConnectionContext): AdmitInput {
  return { connId: context.input.connId, nonce: context.input.nonce, peer: context.input.peer, params: context.params };
}

/** One `req` frame from an authenticated client. */
export interface Request {
  id: string;
  method: string;
  params: unknown;
}

/** What the hub sends a connection actor: socket frames, a server-side close, the socket's end. */
export type ConnectionEvent =
  | { type: 'FRAME'; text: string; bytes: number }
  /** The server closes this connection (shutdown, revocation, slow consumer). */
  | { type: 'CLOSE'; code: number; reason: string }
  | { type: 'SOCKET_CLOSED' }
  /** Admission's answer to the `connect` (from the provided `admit` action, or the hub once it settles). */
  | { type: 'ADMITTED'; output: AdmitResult }
  /** Admission threw or its promise rejected: the connect fails as unavailable. */
  | { type: 'ADMISSION_FAILED'; error: unknown }
  /** The handshake deadline (from the socket's open) passed before hello: the hub's timer, not the actor's, so
   *  that a socket waiting for its first frame holds no actor, and a connect costs no scheduled event. */
  | { type: 'HANDSHAKE_TIMEOUT' };

/** What a connection actor asks the hub to do: send a frame, close, announce the hello, dispatch a request. */
export type ConnectionEmitted =
  | { type: 'send'; frame: Record<string, unknown> }
  | { type: 'close'; code: number; reason: string }
  | { type: 'authenticated'; admitted: Admitted }
  /** An authorized, schema-valid request for the method handlers. */
  | { type: 'request'; request: Request }
  | { type: 'ignored'; reason: string };

/** The machine's context. The input is kept as given (one shared object, not spread: a connect is cheaper). */
export interface ConnectionContext {
  input: ConnectionInput;
  /** From the input, at the top level where the inspector page reads them. */
  connId: string;
  peer: PeerInfo;
  pending: readonly { text: string; bytes: number }[];
  connectId: string;
  params: Record<string, unknown>;
  /** Set at hello: the role and scopes the role gate and scope checks use. */
  admitted: Pick<Admitted, 'role' | 'scopes'> | null;
  /** Consecutive role-unauthorized answers (flood guard). */
  unauthorizedStreak: number;
}

const MAX_UNAUTHORIZED_STREAK = 10;
/** Shared by every context that holds nothing (most of them): a connect allocates less. */
const NO_PENDING: readonly { text: string; bytes: number }[] = Object.freeze([]);
const NO_PARAMS: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;

function parse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** What the first frame decides: a valid `connect` (its id and params), or the answer (if any) and the close. */
type FirstFrameVerdict =
  | { ok: true; id: string; params: Record<string, unknown> }
  | { ok: false; answer?: { id: string; message: string }; code: number; reason: string };

/** The verdict on the last first frame looked at: the `validConnect` guard and the action that follows it in
 *  the same microstep read one parse and validation of the frame, not two. Keyed by the event object. */
let lastVerdict: { event: object; verdict: FirstFrameVerdict } | undefined;

function firstFrameVerdict(event: { text: string; bytes: number }, preauthMaxBytes: number): FirstFrameVerdict {
  if (lastVerdict?.event === event) return lastVerdict.verdict;
  const verdict = judgeFirstFrame(event.text, event.bytes, preauthMaxBytes);
  lastVerdict = { event, verdict };
  return verdict;
}

/** The verdict, forgotten as it is used: the cache must not keep a connect's params (its secret) alive. */
function takeVerdict(event: { text: string; bytes: number }, preauthMaxBytes: number): FirstFrameVerdict {
  const verdict = firstFrameVerdict(event, preauthMaxBytes);
  lastVerdict = undefined;
  return verdict;
}

function judgeFirstFrame(text: string, bytes: number, preauthMaxBytes: number): FirstFrameVerdict {
  if (bytes > preauthMaxBytes) return { ok: false, code: 1009, reason: 'preauth payload too large' };
  const parsed = parse(text);
  if (!parsed.ok) return { ok: false, code: 1000, reason: '' };
  const frame = parsed.value as Record<string, unknown> | null;
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame) || frame.type !== 'req') {
    return { ok: false, code: 1008, reason: 'invalid request frame' };
  }
  const id = typeof frame.id === 'string' && frame.id !== '' ? frame.id : 'invalid';
  const fail = (message: string): FirstFrameVerdict => ({ ok: false, answer: { id, message }, code: 1008, reason: message });
  const frameCheck = validateFrame(frame);
  if (!frameCheck.ok) return fail(`invalid request frame: ${frameCheck.message}`);
  if (frame.method !== 'connect') return fail('invalid handshake: first request must be connect');
  const paramsCheck = validateConnectParams(frame.params);
  if (!paramsCheck.ok) return fail(`invalid connect params: ${paramsCheck.message}`);
  return { ok: true, id, params: frame.params as Record<string, unknown> };
}

/** A connection's context as its actor starts (the machine's own `context`; the hub builds an actor's first
 *  snapshot from it too, see connection-passivation.ts). */
export function initialContext(input: ConnectionInput): ConnectionContext {
  return { input, connId: input.connId, peer: input.peer, pending: NO_PENDING, connectId: 'invalid', params: NO_PARAMS, admitted: null, unauthorizedStreak: 0 };
}

const res = (id: string, error: ErrorShape) => ({ type: 'res', id, ok: false, error });
const invalid = (message: string): ErrorShape => ({ code: 'INVALID_REQUEST', message });

/** The connection machine: handshake (challenge, connect, admission), then authenticated requests, then closed. */
export const connectionMachine = setup({
  types: {
    input: {} as ConnectionInput,
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
    emitted: {} as ConnectionEmitted,
  },
  guards: {
    validConnect: ({ context, event }) => event.type === 'FRAME' && firstFrameVerdict(event, context.input.preauthMaxBytes).ok,
  },
  actions: {
    /** Decides the `connect` in context.params and answers with ADMITTED / ADMISSION_FAILED: provided by the
     *  hub (src/actors/connection-hub.ts); a machine without it waits in `admitting` for those events. */
    admit: () => {},
    /** Before hello the first frame decides everything: a valid `connect` starts admission (acceptConnect),
     *  anything else is answered here and closes. */
    firstFrame: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'FRAME') return;
      const verdict = takeVerdict(event, context.input.preauthMaxBytes);
      if (verdict.ok) return;
      if (verdict.answer !== undefined) enqueue.emit({ type: 'send', frame: res(verdict.answer.id, invalid(verdict.answer.message)) });
      enqueue.raise({ type: 'CLOSE', code: verdict.code, reason: verdict.reason });
    }),
    acceptConnect: assign(({ context, event }) => {
      const verdict = takeVerdict(event as Extract<ConnectionEvent, { type: 'FRAME' }>, context.input.preauthMaxBytes);
      return verdict.ok ? { connectId: verdict.id, params: verdict.params } : {};
    }),
    holdFrame: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'FRAME') return;
      if (event.bytes > context.input.preauthMaxBytes) {
        enqueue.raise({ type: 'CLOSE', code: 1009, reason: 'preauth payload too large' });
        return;
      }
      if (context.pending.length >= context.input.maxPendingFrames) {
        enqueue.raise({ type: 'CLOSE', code: 1008, reason: 'too many pending handshake frames' });
        return;
      }
      enqueue.assign({ pending: [...context.pending, { text: event.text, bytes: event.bytes }] });
    }),
    welcome: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'ADMITTED' || !event.output.ok) return;
      const { output } = event;
      // only what later decisions need: keeping the hello payload alive per socket costs ~0.5 KB each
      enqueue.assign({ admitted: { role: output.admitted.role, scopes: output.admitted.scopes }, params: NO_PARAMS });
      enqueue.emit({ type: 'send', frame: { type: 'res', id: context.connectId, ok: true, payload: output.admitted.hello } });
      enqueue.emit({ type: 'authenticated', admitted: output.admitted });
      // frames pipelined behind `connect` are handled now, in arrival order
      if (context.pending.length === 0) return;
      for (const f of context.pending) enqueue.raise({ type: 'FRAME', text: f.text, bytes: f.bytes });
      enqueue.assign({ pending: NO_PENDING });
    }),
    refuse: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'ADMITTED' || event.output.ok) return;
      const { output } = event;
      enqueue.emit({ type: 'send', frame: res(context.connectId, output.error) });
      enqueue.raise({ type: 'CLOSE', code: output.close.code, reason: output.close.reason });
    }),
    admissionFailed: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: 'send', frame: res(context.connectId, { code: 'UNAVAILABLE', message: 'connect failed', retryable: true, retryAfterMs: 1000 }) });
      enqueue.raise({ type: 'CLOSE', code: 1011, reason: 'connect failed' });
    }),
    /** After hello: validate, gate by role and scope, then hand the request to the method handlers. */
    request: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'FRAME') return;
      const parsed = parse(event.text);
      if (!parsed.ok) {
        enqueue.emit({ type: 'ignored', reason: 'non-JSON frame after hello' });
        return;
      }
      const frame = parsed.value as Record<string, unknown>;
      const check = validateFrame(frame);
      if (!check.ok) {
        // a res id must be a non-empty string (ResponseFrame), as for the first frame
        const id = frame && typeof frame === 'object' && typeof frame.id === 'string' && frame.id !== '' ? frame.id : 'invalid';
        enqueue.emit({ type: 'send', frame: res(id, invalid(`invalid request frame: ${check.message}`)) });
        return;
      }
      if (frame.type !== 'req') {
        enqueue.emit({ type: 'ignored', reason: `unexpected ${String(frame.type)} frame from client` });
        return;
      }
      const { id, method, params } = frame as { id: string; method: string; params?: unknown };
      const { role, scopes } = context.admitted!;
      if (method === 'connect') {
        const isAdmin = role === 'operator' && scopes.includes('operator.admin');
        const denied = isAdmin ? undefined : authorizeMethod(role, scopes, 'connect');
        enqueue.emit({ type: 'send', frame: res(id, denied?.error ?? invalid('connect is only valid as the first request')) });
        return;
      }
      const denied = authorizeMethod(role, scopes, method);
      if (denied) {
        enqueue.emit({ type: 'send', frame: res(id, denied.error) });
        const streak = denied.roleDenied ? context.unauthorizedStreak + 1 : 0;
        enqueue.assign({ unauthorizedStreak: streak });
        if (streak > MAX_UNAUTHORIZED_STREAK) enqueue.raise({ type: 'CLOSE', code: 1008, reason: 'repeated unauthorized calls' });
        return;
      }
      if (context.unauthorizedStreak !== 0) enqueue.assign({ unauthorizedStreak: 0 });
      if (!context.input.methods.has(method)) {
        enqueue.emit({ type: 'send', frame: res(id, invalid(`unknown method: ${method}`)) });
        return;
      }
      const noTarget = missingSessionTarget(method, params ?? {});
      if (noTarget) {
        enqueue.emit({ type: 'send', frame: res(id, noTarget) });
        return;
      }
      const valid = validateParams(method, params ?? {});
      if (!valid.ok) {
        enqueue.emit({ type: 'send', frame: res(id, invalid(`invalid ${method} params: ${valid.message}`)) });
        return;
      }
      enqueue.emit({ type: 'request', request: { id, method, params: params ?? {} } });
    }),
    close: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'CLOSE') return;
      enqueue.emit({ type: 'close', code: event.code, reason: truncateCloseReason(event.reason) });
    }),
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => initialContext(input),
  initial: 'handshake',
  on: {
    CLOSE: { target: '.closed', actions: 'close' },
    SOCKET_CLOSED: '.closed',
  },
  states: {
    handshake: {
      on: { HANDSHAKE_TIMEOUT: { target: 'closed', actions: enqueueActions(({ enqueue }) => enqueue.emit({ type: 'close', code: 1000, reason: '' })) } },
      initial: 'awaitingConnect',
      states: {
        awaitingConnect: {
          on: {
            // one step from the `connect` frame into admission (no raised event in between)
            FRAME: [{ guard: 'validConnect', target: 'admitting', actions: 'acceptConnect' }, { actions: 'firstFrame' }],
          },
        },
        admitting: {
          entry: 'admit',
          on: {
            ADMITTED: [
              { guard: ({ event }) => event.output.ok, target: '#connection.authenticated', actions: 'welcome' },
              { actions: 'refuse' },
            ],
            ADMISSION_FAILED: { actions: 'admissionFailed' },
            FRAME: { actions: 'holdFrame' },
          },
        },
      },
    },
    authenticated: {
      on: { FRAME: { actions: 'request' } },
    },
    closed: { type: 'final' },
  },
});

/** The type of {@link connectionMachine}. */
export type ConnectionMachine = typeof connectionMachine;

import type { AnyActorLogic, AnyActorRef, InspectionEvent } from 'xstate';
import { sanitize } from './inspect-sanitize.js';

// XState inspection events → the inspector's stream frames (web-surfaces.md I2): the `@xstate.actor`,
// `@xstate.event` and `@xstate.snapshot` frames of @statelyai/inspect 0.7.2 (its StatelyInspectionEvent, so
// Stately's inspector can read them), plus `@clawgate.microstep`, which the Stately format drops. Clawgate
// writes its own converter: no runtime dependency on @statelyai/inspect. Every snapshot, event and input
// goes through sanitize() (I3); definitions are the machine's config, which holds no literal context (a
// lint test checks every machine).

/** The @statelyai/inspect protocol version the `@xstate.*` frames follow. */
export const STATELY_VERSION = '0.7.2';

/** One stream frame (written to viewers as one JSON text). */
export type InspectFrame = Record<string, unknown> & { type: string };

/** The parts of XState's Actor that the frames read and its public types leave out. */
interface ActorInternals {
  logic?: AnyActorLogic & { config?: unknown };
  _parent?: AnyActorRef;
}

// a definition is serialized once per machine, not per frame
const definitions = new WeakMap<object, string>();

/** The machine config as JSON, functions as `{type: <name>}` (as @statelyai/inspect writes it). */
export function definitionOf(ref: AnyActorRef): string {
  const logic = (ref as unknown as ActorInternals).logic;
  const config = logic?.config;
  if (typeof config !== 'object' || config === null) return JSON.stringify({ id: nameOf(ref) });
  let json = definitions.get(logic as object);
  if (json === undefined) {
    json = JSON.stringify(config, (_key, value) => (typeof value === 'function' ? { type: value.name } : value));
    definitions.set(logic as object, json);
  }
  return json;
}

/** The actor's id; XState's own session id replaced by the machine's id (as @statelyai/inspect does). */
export function nameOf(ref: AnyActorRef): string {
  const config = (ref as unknown as ActorInternals).logic?.config as { id?: unknown } | undefined;
  return ref.id === ref.sessionId && typeof config?.id === 'string' ? config.id : ref.id;
}

/** The fields every `@xstate.*` frame carries. */
function base(type: string, sessionId: string, rootId: string | undefined, now: number) {
  return { type, sessionId, rootId, createdAt: String(now), id: null, _version: STATELY_VERSION };
}

/** The `@xstate.actor` frame of an actor, with its snapshot as it is now. */
export function actorFrame(ref: AnyActorRef, rootId: string | undefined, now: number): InspectFrame {
  return {
    ...base('@xstate.actor', ref.sessionId, rootId, now),
    name: nameOf(ref),
    parentId: (ref as unknown as ActorInternals)._parent?.sessionId,
    definition: definitionOf(ref),
    snapshot: sanitize(ref.getSnapshot()),
  };
}

/** The frame for one inspection event; undefined for what the stream does not carry (actions). */
export function frameOf(e: InspectionEvent, now: number): InspectFrame | undefined {
  switch (e.type) {
    case '@xstate.actor':
      return actorFrame(e.actorRef as AnyActorRef, e.rootId, now);
    case '@xstate.event':
      return { ...base('@xstate.event', e.actorRef.sessionId, e.rootId, now), event: sanitize(e.event), sourceId: e.sourceRef?.sessionId };
    case '@xstate.snapshot':
      return { ...base('@xstate.snapshot', e.actorRef.sessionId, e.rootId, now), event: sanitize(e.event), snapshot: sanitize(e.snapshot) };
    case '@xstate.microstep':
      return {
        type: '@clawgate.microstep', createdAt: String(now), sessionId: e.actorRef.sessionId, eventType: e.event.type,
        transitions: e._transitions.map((t) => ({
          source: t.source.id, target: (t.target ?? []).map((s) => s.id), eventType: t.eventType,
        })),
      };
    default:
      return undefined;
  }
}

/** The live children of an actor (invoked and spawned), in creation order. */
export function childrenOf(ref: AnyActorRef): AnyActorRef[] {
  const children = (ref.getSnapshot() as { children?: Record<string, AnyActorRef | undefined> }).children;
  return children ? Object.values(children).filter((c): c is AnyActorRef => c !== undefined) : [];
}

import mittModule, { type Emitter, type EventType } from 'mitt';
import type { Bus, BusEvents } from './bus.js';

// The in-process Bus: mitt, behind the interface, so nothing else depends on it. Delivery is synchronous,
// in subscription order.

// mitt's types are CommonJS-shaped while Node loads its ESM build: the default export is the factory.
const mitt = mittModule as unknown as <E extends Record<EventType, unknown>>() => Emitter<E>;

/** A bus for one process. */
export function createLocalBus(): Bus {
  const emitter = mitt<BusEvents>();
  return {
    publish: (type, event) => emitter.emit(type, event),
    subscribe: (type, handler) => {
      emitter.on(type, handler);
      return () => emitter.off(type, handler);
    },
  };
}

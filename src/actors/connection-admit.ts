import { enqueueActions } from 'xstate';
import { admitInputOf, type AdmitInput, type AdmitResult, type ConnectionContext, type ConnectionEvent } from '../machines/connection.js';

// The connection machine's `admit` action as the hub provides it (connection-hub.ts).

/**
 * The machine's `admit` action: admission runs in the step that entered `admitting`. An answer decided on the
 * spot is raised (handled in the same step: no child actor, promise or second step); a promise's answer is
 * sent when it settles, unless the actor stopped meanwhile. A throw or rejection is ADMISSION_FAILED.
 */
export function admitAction(admit: (input: AdmitInput) => AdmitResult | Promise<AdmitResult>) {
  return enqueueActions<ConnectionContext, ConnectionEvent, unknown, ConnectionEvent, never, never, never, never, never>(({ context, enqueue, self }) => {
    let out: AdmitResult | Promise<AdmitResult>;
    try {
      out = admit(admitInputOf(context));
    } catch (error) {
      enqueue.raise({ type: 'ADMISSION_FAILED', error });
      return;
    }
    if (!(out instanceof Promise)) {
      enqueue.raise({ type: 'ADMITTED', output: out });
      return;
    }
    const send = (event: ConnectionEvent) => {
      if (self.getSnapshot().status === 'active') self.send(event);
    };
    out.then((output) => send({ type: 'ADMITTED', output }), (error: unknown) => send({ type: 'ADMISSION_FAILED', error }));
  });
}

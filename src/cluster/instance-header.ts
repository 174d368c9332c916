import { headers, type MsgHdrs } from '@nats-io/transport-node';

// Every message a gateway instance puts on NATS says who sent it, so a log line, `clawgate status` or a
// test can tell which instance accepted, owned or answered something.

/** The header naming the sending instance (its --instance-id). */
export const INSTANCE_HEADER = 'Clawgate-Instance';

/** Fresh headers carrying `instanceId` in INSTANCE_HEADER. */
export function instanceHeaders(instanceId: string): MsgHdrs {
  const h = headers();
  h.set(INSTANCE_HEADER, instanceId);
  return h;
}

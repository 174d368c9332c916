// Queue modes (see src/machines/session.ts), apart from the machine so config parsing does not load XState.

/** What a message does while its session runs: its own next turn (followup), one merged next turn (collect), or cancel the run (interrupt). */
export type QueueMode = 'followup' | 'collect' | 'interrupt';

/** Modes accepted on the wire: `steer` is OpenClaw's, accepted and treated as `followup`. */
export const WIRE_QUEUE_MODES = ['followup', 'collect', 'interrupt', 'steer'] as const;

/** The mode for a wire value, or undefined if the value is not one. */
export function toQueueMode(value: string): QueueMode | undefined {
  switch (value) {
    case 'followup':
    case 'steer':
      return 'followup';
    case 'collect':
    case 'interrupt':
      return value;
    default:
      return undefined;
  }
}

import { invalidRequest, type Handler } from './types.js';

// `send` delivers a message through a messaging channel. No channel is configured in this build, so
// every target channel is refused clearly (webchat is never a send target).

/** `send`: refused, naming the channel (no messaging channel is configured). */
export const send: Handler<'send'> = (params) => {
  throw invalidRequest(`unsupported channel: ${params.channel ?? '(none configured)'}`);
};

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CORE_METHODS } from '../../../protocol/index.js';
import { METHODS, type MethodHandlers } from '../../../src/surfaces/ws/methods/index.js';
import { chatAbort, chatSend } from '../../../src/surfaces/ws/methods/chat.js';
import { nodeList } from '../../../src/surfaces/ws/methods/nodes.js';
import { nodePairList } from '../../../src/surfaces/ws/methods/node-pairing.js';
import { health, status } from '../../../src/surfaces/ws/methods/system.js';
import type { Handler, MethodName, ParamsOf, ResultOf } from '../../../src/surfaces/ws/methods/types.js';
import { startTestGateway } from '../../helpers/gateway.js';
import { RawSocket } from '../../helpers/ws-client.js';

// WS handlers are typed from the protocol/ schemas. The `@ts-expect-error` lines are checked by
// `npm run typecheck`: each must be a compile error, or the typecheck fails. The runtime part checks
// that the handler table is exactly what hello-ok advertises.

type IsAny<T> = 0 extends 1 & T ? true : false;
type IsUnknown<T> = unknown extends T ? (IsAny<T> extends true ? false : true) : false;
type False<T extends false> = T;

// no method's params are `any` or `unknown`: each is its schema's static type
export type NoLooseParams = False<{ [M in MethodName]: IsAny<ParamsOf<M>> | IsUnknown<ParamsOf<M>> }[MethodName]>;
// methods with a result schema return its static type
export type TypedResults = False<IsUnknown<ResultOf<'health'>> | IsUnknown<ResultOf<'node.event'>> | IsAny<ResultOf<'channels.status'>>>;

// params carry exactly the fields of the method's schema
export const readsSchemaFields: Handler<'chat.send'> = (params) => {
  const key: string = params.idempotencyKey;
  // @ts-expect-error chat.send params have no `runIds`
  return { key, runIds: params.runIds };
};
// @ts-expect-error idempotencyKey is a string, not a number
export const wrongFieldType: Handler<'chat.send'> = (params) => params.idempotencyKey * 2;

// a handler registered under another method's name does not compile, even where the params look alike
export const swapped: Pick<MethodHandlers, 'chat.send' | 'status' | 'node.list'> = {
  // @ts-expect-error chat.abort's handler is not chat.send's
  'chat.send': chatAbort,
  // @ts-expect-error health's handler is not status's (both take all-optional params)
  status: health,
  // @ts-expect-error node.pair.list's handler is not node.list's (both take `{}`)
  'node.list': nodePairList,
};
export const rightNames: Pick<MethodHandlers, 'chat.send' | 'status' | 'node.list'> = { 'chat.send': chatSend, status, 'node.list': nodeList };

// @ts-expect-error every method needs a handler
export const missing: MethodHandlers = { health };

// a result that does not match the method's result schema does not compile
// @ts-expect-error node.event answers {ok, event, handled}
export const badResult: Handler<'node.event'> = () => ({ ok: true });

test('METHODS holds a handler for every protocol method but connect, and hello-ok advertises exactly those (the inspector\'s only with --inspect)', async () => {
  const served = [...METHODS.keys()].sort();
  assert.deepEqual(served, [...CORE_METHODS].sort());
  for (const [name, handler] of METHODS) assert.equal(typeof handler, 'function', name);
  // looked up by client-sent names: inherited object keys are not methods
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) assert.equal(METHODS.get(name), undefined, name);

  const tg = await startTestGateway();
  try {
    const s = await RawSocket.connect(tg.url, {}, 'method-types');
    try {
      assert.deepEqual([...(s.hello.features.methods as string[])].sort(), served.filter((m) => m !== 'clawgate.inspect.ticket'));
    } finally {
      await s.close();
    }
  } finally {
    await tg.close();
  }
  const inspecting = await startTestGateway({ inspect: true });
  try {
    const s = await RawSocket.connect(inspecting.url, {}, 'method-types');
    try {
      assert.deepEqual([...(s.hello.features.methods as string[])].sort(), served);
    } finally {
      await s.close();
    }
  } finally {
    await inspecting.close();
  }
});

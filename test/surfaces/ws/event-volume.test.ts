import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SimulatedClock } from 'xstate';
import type { RunEvent, RunInput, Runner } from '../../../src/core/run.js';
import { startTestGateway, type TestGateway } from '../../helpers/gateway.js';
import { RawSocket, uniq } from '../../helpers/ws-client.js';

// Issue 6 item 6: what one streamed reply costs a bystander operator. A scripted runner streams a
// 2 000-word reply one word per simulated millisecond (as `--mock-delay-ms 1` would) on a SimulatedClock
// that the gateway's chat-delta throttle also reads, so the number of coalesced `chat` deltas — and thus
// the byte count — is the same on every machine. A second operator socket (operator.read, not the sender)
// counts the bytes of every frame it receives for the run.

const WORDS = 2_000;
const MAX_RATIO = 100;
const VOCAB = ['alpha', 'bravo', 'delta', 'gamma', 'omega', 'sigma', 'kappa'];
const reply = Array.from({ length: WORDS }, (_, i) => VOCAB[i % VOCAB.length]).join(' ');

/** One word per simulated millisecond; a macrotask between words lets the sockets drain. */
function wordRunner(clock: SimulatedClock): Runner {
  return {
    async *run(_input: RunInput, signal: AbortSignal): AsyncIterable<RunEvent> {
      for (const chunk of reply.match(/\S+\s*/g)!) {
        if (signal.aborted) return;
        clock.increment(1);
        await new Promise((r) => setImmediate(r));
        yield { type: 'delta', text: chunk };
      }
    },
  };
}

describe('event volume of one streamed reply', () => {
  let tg: TestGateway;
  const clock = new SimulatedClock();
  before(async () => {
    tg = await startTestGateway({}, { runner: wordRunner(clock), clock });
  });
  after(async () => {
    await tg?.close();
  });

  test(`a ${WORDS}-word reply costs a bystander reader at most ${MAX_RATIO}× its length; no text is lost`, async () => {
    const sender = await RawSocket.connect(tg.url, {}, 'sender');
    const bystander = await RawSocket.connect(tg.url, { scopes: ['operator.read'] }, 'bystander');
    try {
      await bystander.sync();
      let bytes = 0;
      let frames = 0;
      bystander.ws.on('message', (data: Buffer) => { bytes += data.length; frames++; });
      const runId = uniq('volume');
      const ack = await sender.request('chat.send', { sessionKey: `agent:main:${uniq('vol')}`, message: 'talk a lot', idempotencyKey: runId });
      assert.equal(ack.ok, true, JSON.stringify(ack.error));
      const final = await bystander.log.waitForEvent('chat', (p) => p.runId === runId && p.state === 'final', { ms: 60_000 });

      const replyBytes = Buffer.byteLength(reply);
      const ratio = bytes / replyBytes;
      // the figure the issue asks for, kept in the test output
      console.log(`# ${frames} frames, ${bytes} bytes for a ${replyBytes}-byte reply: ${ratio.toFixed(1)}×`);
      assert.ok(ratio <= MAX_RATIO, `bystander received ${bytes} bytes (${ratio.toFixed(1)}× the ${replyBytes}-byte reply)`);

      const mine = (event: string) => bystander.log.events(event).filter((f) => f.payload.runId === runId).map((f) => f.payload);
      const assistant = mine('agent').filter((p) => p.stream === 'assistant');
      assert.equal(assistant.length, WORDS, 'one agent assistant event per word');
      assert.equal(assistant.map((p) => p.data.delta).join(''), reply, 'the agent deltas concatenate to the reply');
      const deltas = mine('chat').filter((p) => p.state === 'delta');
      assert.ok(deltas.length < WORDS / 10, `chat deltas are coalesced (${deltas.length} for ${WORDS} words)`);
      assert.equal(deltas.map((p) => p.deltaText).join(''), reply, 'the chat deltaTexts concatenate to the reply');
      assert.deepEqual(deltas.at(-1).message.content, [{ type: 'text', text: reply }], 'the last delta before final has it all');
      assert.deepEqual(final.payload.message.content, [{ type: 'text', text: reply }], 'the final carries the whole reply');
      bystander.log.assertPublished();
      bystander.log.assertSeq();
    } finally {
      await sender.close();
      await bystander.close();
    }
  });
});

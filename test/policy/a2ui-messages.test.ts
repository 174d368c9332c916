import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A2UI_V09_REASON, a2uiRefusal, checkA2uiJsonl, checkA2uiPush } from '../../src/policy/a2ui-messages.js';

// web-surfaces.md C6: A2UI JSONL checked at the gateway (pure; CT5 runs it through node.invoke).

const v08 = [
  { surfaceUpdate: { surfaceId: 'main', components: [{ id: 'root', component: { Column: { children: { explicitList: ['t'] } } } }] } },
  { dataModelUpdate: { surfaceId: 'main', contents: [] } },
  { beginRendering: { surfaceId: 'main', root: 'root' } },
  { deleteSurface: { surfaceId: 'old' } },
];
const v09 = [
  { version: 'v0.9', createSurface: { surfaceId: 'main', catalogId: 'c' } },
  { version: 'v0.9', updateComponents: { surfaceId: 'main', components: [] } },
];
const jsonl = (items: unknown[]) => items.map((m) => JSON.stringify(m)).join('\n');

test('v0.8 JSONL and messages pass, blank lines and CRLF included', () => {
  assert.equal(checkA2uiJsonl(jsonl(v08)), undefined);
  assert.equal(checkA2uiJsonl(`\n${jsonl(v08).replaceAll('\n', '\r\n')}\r\n\n`), undefined);
  assert.equal(checkA2uiPush('canvas.a2ui.pushJSONL', { jsonl: jsonl(v08) }), undefined);
  assert.equal(checkA2uiPush('canvas.a2ui.push', { jsonl: jsonl(v08) }), undefined);
  assert.equal(checkA2uiPush('canvas.a2ui.push', { messages: v08 }), undefined);
});

test('v0.9 is refused, by its version field or a v0.9-only key, with the line of the first v0.9 message', () => {
  assert.deepEqual(checkA2uiJsonl(`\n${jsonl(v09)}`), { reason: A2UI_V09_REASON, line: 2 });
  assert.deepEqual(checkA2uiJsonl(JSON.stringify({ createSurface: { surfaceId: 'x' } })), { reason: A2UI_V09_REASON, line: 1 });
  assert.deepEqual(checkA2uiJsonl(JSON.stringify({ version: 'v0.9', deleteSurface: { surfaceId: 'x' } })), { reason: A2UI_V09_REASON, line: 1 });
  assert.deepEqual(checkA2uiPush('canvas.a2ui.push', { messages: v09 }), { reason: A2UI_V09_REASON, line: 1 });
});

test('a mix of versions is refused at the first message that differs', () => {
  assert.deepEqual(checkA2uiJsonl(jsonl([v08[0], v08[2], v09[0]])), { reason: 'mixed A2UI versions', line: 3 });
  assert.deepEqual(checkA2uiJsonl(jsonl([v09[0], v08[0]])), { reason: 'mixed A2UI versions', line: 2 });
});

test('malformed lines name their line and what is wrong', () => {
  const cases: [string, RegExp, number][] = [
    [`${JSON.stringify(v08[0])}\n{nope`, /^line 2: not JSON \(/, 2],
    ['[1,2]', /^line 1: expected a JSON object$/, 1],
    ['"text"', /^line 1: expected a JSON object$/, 1],
    ['{}', /^line 1: expected exactly one of beginRendering, surfaceUpdate, dataModelUpdate, deleteSurface$/, 1],
    [JSON.stringify({ ...v08[0], ...v08[2] }), /^line 1: expected exactly one of/, 1],
    [JSON.stringify({ beginRendering: 'main' }), /^line 1: beginRendering must be an object$/, 1],
    [JSON.stringify({ surfaceUpdate: { components: [] } }), /^line 1: surfaceUpdate needs a surfaceId$/, 1],
    [JSON.stringify({ version: 'v0.8', ...v08[2] }), /^line 1: unsupported A2UI version "v0.8"$/, 1],
    [JSON.stringify({ __proto__: null, toString: 1 }), /^line 1: expected exactly one of/, 1],
  ];
  for (const [input, reason, line] of cases) {
    const problem = checkA2uiJsonl(input);
    assert.match(problem?.reason ?? '', reason, input);
    assert.equal(problem?.line, line, input);
  }
  assert.deepEqual(checkA2uiJsonl(' \n\n'), { reason: 'no A2UI messages', line: 0 });
  assert.deepEqual(checkA2uiPush('canvas.a2ui.push', { messages: [v08[0], null] }), { reason: 'line 2: expected a JSON object', line: 2 });
});

test('params of the wrong shape are refused; other commands are not looked at', () => {
  assert.deepEqual(checkA2uiPush('canvas.a2ui.pushJSONL', { messages: v08 }), { reason: 'params must be {jsonl}', line: 0 });
  assert.deepEqual(checkA2uiPush('canvas.a2ui.push', undefined), { reason: 'params must be {jsonl} or {messages[]}', line: 0 });
  assert.deepEqual(checkA2uiPush('canvas.a2ui.push', { jsonl: 5 }), { reason: 'params must be {jsonl} or {messages[]}', line: 0 });
  assert.equal(checkA2uiPush('canvas.present', { jsonl: 'anything' }), undefined);
  assert.equal(checkA2uiPush('canvas.a2ui.reset', undefined), undefined);
});

test('the refusal is INVALID_REQUEST with the INVALID_A2UI_JSONL code and the line', () => {
  assert.deepEqual(a2uiRefusal({ reason: A2UI_V09_REASON, line: 1 }), {
    code: 'INVALID_REQUEST',
    message: `INVALID_A2UI_JSONL: ${A2UI_V09_REASON}`,
    details: { code: 'INVALID_A2UI_JSONL', line: 1 },
  });
});

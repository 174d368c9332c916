import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultMaxConnections, openFilesSoftLimit, resumeHeadroom } from '../../src/transport/open-files.js';

// One reader of /proc/self/limits for the listen pause's headroom and the default connection limit.

const limits = (soft: string, hard = '1048576') => () => [
  'Limit                     Soft Limit           Hard Limit           Units',
  'Max cpu time              unlimited            unlimited            seconds',
  `Max open files            ${soft.padEnd(20)} ${hard.padEnd(20)} files`,
].join('\n');

test('openFilesSoftLimit reads the soft limit; unknown when unreadable or unlimited', () => {
  assert.equal(openFilesSoftLimit(limits('1024')), 1024);
  assert.equal(openFilesSoftLimit(limits('unlimited')), undefined);
  assert.equal(openFilesSoftLimit(() => 'no such line'), undefined);
  assert.equal(openFilesSoftLimit(() => { throw new Error('ENOENT'); }), undefined);
});

test('both consumers derive from the one limit, with their fallbacks', () => {
  assert.equal(defaultMaxConnections(limits('1024')), 1024 - 256);
  assert.equal(defaultMaxConnections(limits('100000')), 100000 - 3000);
  assert.equal(defaultMaxConnections(limits('100')), 16);
  assert.equal(defaultMaxConnections(() => ''), 4096);
  assert.equal(resumeHeadroom(limits('1024')), 51);
  assert.equal(resumeHeadroom(limits('100')), 16);
  assert.equal(resumeHeadroom(limits('1000000')), 256);
  assert.equal(resumeHeadroom(() => ''), 64);
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError, parseGatewayArgs } from '../../src/config.js';

// Cluster mode's options: --nats-url turns it on, --instance-id and --lease-ttl-ms only with it.

const dir = mkdtempSync(join(tmpdir(), 'clawgate-cluster-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fails = (args: string[], pattern: RegExp) =>
  assert.throws(() => parseGatewayArgs(args, {}), (e: Error) => e instanceof ConfigError && pattern.test(e.message), `${args.join(' ')}`);

test('without --nats-url there is no cluster', () => {
  assert.equal(parseGatewayArgs([], {}).cluster, undefined);
});

test('--nats-url alone: instance id <hostname>:<pid>, lease TTL 10 s', () => {
  const c = parseGatewayArgs(['--nats-url', 'nats://127.0.0.1:4222'], {}).cluster;
  assert.deepEqual(c, { natsUrl: 'nats://127.0.0.1:4222', instanceId: `${hostname()}:${process.pid}`, leaseTtlMs: 10_000 });
});

test('flags and config file keys (kebab or camelCase) set all three', () => {
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ natsUrl: 'tls://nats.lan:4443', instanceId: 'gw-a', 'lease-ttl-ms': 3000 }));
  assert.deepEqual(parseGatewayArgs(['--config', file], {}).cluster, { natsUrl: 'tls://nats.lan:4443', instanceId: 'gw-a', leaseTtlMs: 3000 });
  const c = parseGatewayArgs(['--nats-url', 'nats://h:1', '--instance-id', 'b.2:x', '--lease-ttl-ms', '1000'], {}).cluster;
  assert.deepEqual(c, { natsUrl: 'nats://h:1', instanceId: 'b.2:x', leaseTtlMs: 1000 });
});

test('bad values are config errors that say what is expected', () => {
  fails(['--nats-url', 'http://127.0.0.1:4222'], /--nats-url must look like nats:\/\/host:4222 \(got "http:/);
  fails(['--nats-url', '127.0.0.1:4222'], /--nats-url must look like/);
  fails(['--nats-url', 'nats://h:4222/path'], /--nats-url must look like/);
  fails(['--nats-url', 'nats://h', '--instance-id', 'a b'], /--instance-id must be 1 to 128 letters/);
  fails(['--nats-url', 'nats://h', '--instance-id', 'x'.repeat(129)], /--instance-id must be/);
  fails(['--nats-url', 'nats://h', '--lease-ttl-ms', '999'], /--lease-ttl-ms must be between 1000 and 3600000 \(got 999\)/);
  fails(['--nats-url', 'nats://h', '--lease-ttl-ms', 'soon'], /--lease-ttl-ms .* must be a non-negative integer/);
});

test('--instance-id or --lease-ttl-ms without --nats-url is an error, not a setting silently ignored', () => {
  fails(['--instance-id', 'a'], /--instance-id needs --nats-url/);
  fails(['--lease-ttl-ms', '5000'], /--lease-ttl-ms needs --nats-url/);
});

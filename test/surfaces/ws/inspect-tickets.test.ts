import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InspectTickets } from '../../../src/surfaces/ws/inspect-tickets.js';

// Inspector tickets (web-surfaces.md I4) with an injected clock: single-use, 60 s, bound to their connection,
// at most 4 open per connection (a fifth revokes the oldest), dead with their connection.

test('a ticket is spent once, within 60 s, and only while its connection lives', () => {
  let now = 0;
  const tickets = new InspectTickets({ now: () => now });
  const a = tickets.issue('c1');
  assert.match(a.ticket, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(a.expiresAtMs, 60_000);
  assert.equal(tickets.check(a.ticket), 'c1');
  assert.equal(tickets.consume(a.ticket), 'c1');
  assert.equal(tickets.consume(a.ticket), undefined, 'used twice');
  const b = tickets.issue('c1');
  now = 60_000;
  assert.equal(tickets.consume(b.ticket), undefined, 'expired');
  const c = tickets.issue('c2');
  let closed = 0;
  tickets.watchOwner('c2', () => closed++);
  tickets.connectionClosed('c2');
  assert.equal(tickets.consume(c.ticket), undefined, 'orphaned');
  assert.equal(closed, 1, 'the streams of the closed connection are closed');
  assert.equal(tickets.check(''), undefined);
});

test('a connection holds at most 4 open tickets: a fifth revokes the oldest', () => {
  const tickets = new InspectTickets({ now: () => 0 });
  const issued = Array.from({ length: 5 }, () => tickets.issue('c1').ticket);
  assert.equal(tickets.check(issued[0]), undefined);
  for (const t of issued.slice(1)) assert.equal(tickets.check(t), 'c1');
  assert.equal(tickets.size, 4);
  tickets.issue('c2');
  assert.equal(tickets.size, 5, 'the limit is per connection');
});

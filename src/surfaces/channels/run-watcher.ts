// Follows the runs of one channel account on the bus (spec channels.md §1.2): remembers each run's reply address
// from `run.queued`, types while it runs (C8, from `run.started`), streams the Telegram preview from its deltas
// (TG8), and ends both when the run completes, fails or is cancelled. In a merged turn each chat is handled once,
// by the turn's first run in that chat (the run whose id keys the chat's reply rows).
// It listens with `subscribeCluster`: in cluster mode a run of this account may run on another instance (its
// session's owner), and typing and the preview belong to the chat. That sends once per cluster because the
// watcher lives only while its account is online, which only the instance holding the account's lease is.

import type { Bus, RunRef } from '../../core/bus.js';
import type { ChannelName, ChannelTarget } from '../../core/channel.js';
import { chatKeyOf } from './chat-key.js';
import type { PreviewStream } from './preview.js';
import { isChannelOrigin, targetOf } from './reply-rows.js';
import type { TypingLoop } from './typing.js';

/** How a watched run ended. */
export type WatchedRunEnd = 'completed' | 'failed' | 'cancelled';

/** Options of watchAccountRuns. */
export interface AccountRunWatch {
  bus: Bus;
  channel: ChannelName;
  accountId: string;
  typing: Pick<TypingLoop, 'start' | 'stop'>;
  preview?: Pick<PreviewStream, 'onDelta' | 'final' | 'cancel'>;
  /** `streaming: partial` (Telegram). */
  streaming: boolean;
  /** A run of this account started (status `activeRuns`, `busy`). */
  onRunStart?(runId: string): void;
  onRunEnd?(runId: string, end: WatchedRunEnd): void;
}

interface Watched {
  target: ChannelTarget;
  chatKey: string;
  started: boolean;
}

/** Subscribes to the bus for one account's runs; returns the function that ends the watch (and its typing). */
export function watchAccountRuns(watch: AccountRunWatch): () => void {
  const runs = new Map<string, Watched>();
  /** Per merged turn (lead run id): which run handles each chat. */
  const turnOwners = new Map<string, Map<string, string>>();

  /** The run id that handles this run's chat, or undefined when another run of its turn does. */
  const handler = (ref: RunRef, w: Watched): string | undefined => {
    if (!ref.turn) return ref.runId;
    let owners = turnOwners.get(ref.turn.leadRunId);
    if (!owners) {
      owners = new Map();
      turnOwners.set(ref.turn.leadRunId, owners);
    }
    const owner = owners.get(w.chatKey) ?? ref.runId;
    owners.set(w.chatKey, owner);
    return owner === ref.runId ? owner : undefined;
  };

  const end = (ref: RunRef, how: WatchedRunEnd) => {
    const w = runs.get(ref.runId);
    if (!w) return;
    const key = handler(ref, w);
    runs.delete(ref.runId);
    if (ref.turn && ![...runs.keys()].some((id) => ref.turn?.runIds.includes(id))) turnOwners.delete(ref.turn.leadRunId);
    if (key !== undefined) {
      if (how === 'completed') watch.preview?.final(key);
      else watch.preview?.cancel(key);
      watch.typing.stop(key);
    }
    if (w.started) watch.onRunEnd?.(ref.runId, how);
  };

  const offs = [
    watch.bus.subscribeCluster('run.queued', (e) => {
      const origin = e.origin;
      if (!isChannelOrigin(origin) || origin.channel !== watch.channel || origin.accountId !== watch.accountId) return;
      const target = targetOf(origin);
      runs.set(e.runId, { target, chatKey: chatKeyOf(target), started: false });
    }),
    watch.bus.subscribeCluster('run.started', (e) => {
      const w = runs.get(e.runId);
      if (!w || w.started) return;
      w.started = true;
      const key = handler(e, w);
      if (key !== undefined) watch.typing.start(key, w.target);
      watch.onRunStart?.(e.runId);
    }),
    watch.bus.subscribeCluster('run.delta', (e) => deltaOf(e, e.text)),
    watch.bus.subscribeCluster('run.message', (e) => deltaOf(e, e.text)),
    watch.bus.subscribeCluster('run.completed', (e) => end(e, 'completed')),
    watch.bus.subscribeCluster('run.failed', (e) => end(e, 'failed')),
    watch.bus.subscribeCluster('run.cancelled', (e) => end(e, 'cancelled')),
  ];

  function deltaOf(ref: RunRef, text: string): void {
    if (!watch.streaming || !watch.preview) return;
    const w = runs.get(ref.runId);
    if (!w) return;
    const key = handler(ref, w);
    if (key !== undefined) watch.preview.onDelta(key, w.target, text);
  }

  return () => {
    for (const off of offs) off();
    for (const runId of runs.keys()) watch.typing.stop(runId);
    runs.clear();
    turnOwners.clear();
  };
}

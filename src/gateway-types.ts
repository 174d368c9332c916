import type { Bus } from './core/bus.js';
import type { ChannelClock, ChannelsControl } from './core/channel.js';
import type { Runner } from './core/run.js';
import type { TranscriptStore } from './core/transcript.js';
import type { Tool } from './agent/tools/registry.js';
import type { RunRegistry } from './actors/run-registry.js';
import type { SessionRegistry } from './actors/session-registry.js';
import type { ReplyRouter } from './actors/reply-router.js';
import type { Inbound } from './inbound/submit.js';
import type { RunLedger } from './store/run-ledger.js';
import type { Schedule } from './store/storage-health.js';
import type { WriteFaults } from './store/write-faults.js';
import type { DeviceStore } from './store/devices.js';
import type { WsPlane } from './surfaces/ws/plane.js';
import type { Clock } from './surfaces/ws/chat-delta-coalescer.js';
import type { ChannelManager, ChannelSeams } from './surfaces/channels/manager.js';

// The composition root's two public shapes: what startGateway returns, and what an embedder or a test may replace.

/** A running gateway: its port, its parts (for embedders and tests), and close(). */
export interface Gateway {
  port: number;
  devices: DeviceStore;
  bus: Bus;
  runs: RunRegistry;
  sessions: SessionRegistry;
  /** The one way in for messages of every surface. */
  inbound: Inbound;
  /** Where channel deliverers register for the replies to their chats. */
  replies: ReplyRouter;
  /** Every run's recorded life (journal with origins, transcript writes). */
  ledger: RunLedger;
  transcripts: TranscriptStore;
  ws: WsPlane;
  /** The channel layer, when the config file enables a channel. */
  channels?: ChannelManager;
  /** Stop admitting (503), let running runs finish within the shutdown grace period, cancel (and record) the
   *  rest, leave queued messages journaled for the next start, tell WS clients, close every socket. */
  close(): Promise<void>;
}

/** What an embedder or a test may replace. */
export interface GatewayOptions {
  /** Replaces the configured model (tests use this for failing or scripted runners). */
  runner?: Runner;
  /** Tools offered to the model besides the enabled built-ins (with --model openai). */
  tools?: Tool[];
  /** The clock of the WS chat-delta throttle (tests pass XState's SimulatedClock). */
  clock?: Clock;
  /** Test seams for a failing disk: `faults` makes writes throw, `schedule` fires the storage probe. */
  storage?: { faults?: WriteFaults; schedule?: Schedule; probeEveryMs?: number };
  /** The clock and jitter source of the channel layer (tests pass XState's SimulatedClock and `() => 0`). */
  channelClock?: ChannelClock;
  channelRandom?: () => number;
  /** Test seams of the channel adapters (a fake WhatsApp socket factory: `{ whatsapp: { makeSocket } }`). */
  channelSeams?: ChannelSeams;
  /** Replaces the channel layer behind the WS channels.* methods (tests of the methods alone). */
  channels?: ChannelsControl;
  /** The clock of the inspector's ticket expiry (tests), epoch ms. */
  inspectNow?: () => number;
  /** Where WebChat's built files are read from (tests of missing assets); default `<package root>/dist/web/webchat`. */
  webchatDir?: string;
  /** The clock of the canvas capabilities' expiry (tests), epoch ms. */
  canvasNow?: () => number;
  /** Where the A2UI host's built files are read from (tests of missing assets); default `<package root>/dist/web/a2ui`. */
  a2uiDir?: string;
}


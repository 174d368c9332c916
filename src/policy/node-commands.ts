import type { ErrorShape } from './authorize.js';

// Which node commands an operator may invoke (openclaw-protocol.md §11.3): the node must have declared the
// command, and it must be in its platform's default allowlist or in --node-allow, and not in --node-deny
// (deny always wins). Dangerous commands are never defaults: they need an explicit --node-allow entry.
//
// Clawgate's platform defaults (a deliberate choice, narrower than OpenClaw's): presentation and read-only
// status commands only.
//   every platform but watchOS: canvas.present, canvas.hide, canvas.navigate, canvas.snapshot,
//                               canvas.a2ui.push, canvas.a2ui.pushJSONL, canvas.a2ui.reset
//                               (not canvas.eval: it runs arbitrary script in the node's web view)
//   ios:      + camera.list, location.get, device.info, device.status, motion.activity, motion.pedometer, system.notify
//   android:  + camera.list, location.get, device.info, device.status, device.permissions, device.health,
//               motion.activity, motion.pedometer, system.notify
//   macos:    + camera.list, camera.ptz.status, location.get, device.info, device.status, screen.snapshot, system.notify
//   windows:  + camera.list, location.get, device.info, device.status, screen.snapshot, system.notify
//   linux:    + camera.list, device.info, device.status, screen.snapshot, system.notify
//   watchos:  device.info, device.status, system.notify
//   unknown:  canvas.* above + device.info, device.status, system.notify
// Personal-data reads (contacts.search, calendar.events, reminders.list, photos.latest, callLog.search,
// notifications.*), host execution (system.run, system.which, browser.proxy, fs.*) and everything else need
// --node-allow. Host-execution commands are also admin-only to invoke and to approve (ADMIN_COMMANDS).

/** The operator's --node-allow and --node-deny lists. */
export interface NodeCommandPolicy {
  /** --node-allow: commands allowed beyond the platform defaults (including dangerous ones). */
  allow: readonly string[];
  /** --node-deny: commands always refused. */
  deny: readonly string[];
}

/** What decides a node's allowed commands: its platform and what it declared. */
export interface NodeIdentity {
  platform?: string;
  deviceFamily?: string;
  /** The commands the node declared in its connect. */
  declared: readonly string[];
}

/** The platform rows of the default allowlist. */
export type PlatformId = 'ios' | 'android' | 'macos' | 'linux' | 'windows' | 'watchos' | 'unknown';

const CANVAS = [
  'canvas.present', 'canvas.hide', 'canvas.navigate', 'canvas.snapshot',
  'canvas.a2ui.push', 'canvas.a2ui.pushJSONL', 'canvas.a2ui.reset',
];
const STATUS = ['device.info', 'device.status', 'system.notify'];
const MOTION = ['motion.activity', 'motion.pedometer'];

/** Commands allowed by default per platform (see the table above). */
export const PLATFORM_DEFAULTS: Readonly<Record<PlatformId, ReadonlySet<string>>> = {
  ios: new Set([...CANVAS, ...STATUS, ...MOTION, 'camera.list', 'location.get']),
  android: new Set([...CANVAS, ...STATUS, ...MOTION, 'camera.list', 'location.get', 'device.permissions', 'device.health']),
  macos: new Set([...CANVAS, ...STATUS, 'camera.list', 'camera.ptz.status', 'location.get', 'screen.snapshot']),
  windows: new Set([...CANVAS, ...STATUS, 'camera.list', 'location.get', 'screen.snapshot']),
  linux: new Set([...CANVAS, ...STATUS, 'camera.list', 'screen.snapshot']),
  watchos: new Set(STATUS),
  unknown: new Set([...CANVAS, ...STATUS]),
};

/** Privacy-heavy or side-effecting commands: allowed only by an explicit --node-allow entry. */
export const DANGEROUS_COMMANDS: ReadonlySet<string> = new Set([
  'camera.snap', 'camera.clip', 'camera.ptz.control', 'screen.record', 'contacts.add', 'calendar.add',
  'reminders.add', 'sms.send', 'sms.search', 'health.summary',
]);

const ADMIN_EXACT = new Set(['system.run', 'system.which', 'fs.listDir']);
const ADMIN_PREFIXES = ['system.run.', 'browser.proxy', 'system.execApprovals.'];

/** Host-execution (system.run-class) commands: invoking them, or approving a surface with them, needs operator.admin. */
export function isAdminCommand(command: string): boolean {
  return ADMIN_EXACT.has(command) || ADMIN_PREFIXES.some((p) => command.startsWith(p));
}

/** The platform row a node falls under, from its platform string, else its device family. */
export function platformId(platform?: string, deviceFamily?: string): PlatformId {
  const p = (platform ?? '').trim().toLowerCase();
  if (p.startsWith('ios') || p.startsWith('ipados')) return 'ios';
  if (p.startsWith('watchos')) return 'watchos';
  if (p.startsWith('android')) return 'android';
  if (p.startsWith('mac') || p.startsWith('darwin')) return 'macos';
  if (p.startsWith('win')) return 'windows';
  if (p.startsWith('linux')) return 'linux';
  const f = (deviceFamily ?? '').trim().toLowerCase();
  if (f.includes('watch')) return 'watchos';
  if (f.includes('iphone') || f.includes('ipad') || f.includes('ios')) return 'ios';
  if (f.includes('android')) return 'android';
  if (f.includes('mac')) return 'macos';
  if (f.includes('windows')) return 'windows';
  if (f.includes('linux')) return 'linux';
  return 'unknown';
}

const refused = (reason: string, command: string, message: string): ErrorShape => ({
  code: 'INVALID_REQUEST', message: `node command not allowed: ${message}`, details: { reason, command },
});

/**
 * `undefined` when the command may be invoked; otherwise the §11.3 error, its message naming Clawgate's
 * own flags (`--node-allow`, `--node-deny`) where OpenClaw names its config keys.
 */
export function checkNodeCommand(policy: NodeCommandPolicy, node: NodeIdentity, command: string): ErrorShape | undefined {
  if (node.declared.length === 0) {
    return refused('node did not declare commands', command, 'the node did not declare any supported commands');
  }
  if (!node.declared.includes(command)) {
    return refused('command not declared by node', command, `the node (platform: ${node.platform ?? 'unknown'}) does not support "${command}"`);
  }
  if (policy.deny.includes(command)) {
    return refused('command not allowlisted', command, `"${command}" is blocked by --node-deny`);
  }
  if (policy.allow.includes(command)) return undefined;
  if (DANGEROUS_COMMANDS.has(command)) {
    return refused('command not allowlisted', command, `"${command}" requires explicit --node-allow opt-in`);
  }
  const id = platformId(node.platform, node.deviceFamily);
  if (PLATFORM_DEFAULTS[id].has(command)) return undefined;
  return refused('command not allowlisted', command, `"${command}" is not in the allowlist for platform "${id}" (add it to --node-allow)`);
}

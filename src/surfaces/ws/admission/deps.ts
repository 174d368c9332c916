import type { AdmitInput, Admitted } from '../../../machines/connection.js';
import type { DeviceStore, PairingRequest } from '../../../store/devices.js';
import type { RateLimit } from './rate-limit.js';

/** What admission needs from the gateway. */
export interface AdmissionDeps {
  /** Shared secret; undefined = auth mode `none` (loopback binds only). */
  token?: string;
  isDraining: () => boolean;
  devices: DeviceStore;
  /** Silent pairing of direct-local devices (default on). */
  autoApproveLocal: boolean;
  rateLimit?: RateLimit;
  onPairingRequested: (req: PairingRequest, silent: boolean) => void;
  onPairingResolved: (req: PairingRequest, decision: 'approved' | 'rejected') => void;
  /** Builds the hello-ok payload once the connection is admitted. */
  hello: (input: AdmitInput, auth: HelloAuth) => Admitted['hello'];
  now?: () => number;
}

/** How an admitted connection authenticated, and what it was granted (shown in hello-ok). */
export interface HelloAuth {
  method: string;
  role: string;
  scopes: string[];
  deviceToken?: string;
  issuedAtMs?: number;
}

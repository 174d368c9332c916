import type { RunListener, RunRecord } from '../../actors/run-registry.js';
import type { Inbound, InboundResult } from '../../inbound/submit.js';
import { StorageUnavailable } from '../../store/storage-health.js';
import { ApiError, badRequest, insufficientStorage } from '../../core/errors.js';
import { normalizeContentParts, type ContentPartPolicy } from '../../inbound/content-parts.js';
import { deriveSessionId, type MessageRequest } from './message-request.js';

// Admission of one HTTP message, in the order of the tRPC-Agent-Go gateway contract (steps 4–11): the HTTP
// checks here, then the one inbound path. The first failing step decides.

/** What HTTP admission checks messages against, and where it hands them. */
export interface AdmitPolicy {
  inbound: Inbound;
  allowUsers?: ReadonlySet<string>;
  requireMention: boolean;
  mentionPatterns: readonly string[];
  modelCatalog?: ReadonlySet<string>;
  partPolicy: ContentPartPolicy;
}

/** What became of an HTTP message: ignored (no mention), accepted (in cluster mode with `settled`, its end
 *  wherever it ran), or answered from a completed run. */
export type Admission =
  | { kind: 'ignored' }
  | { kind: 'accepted' | 'replay'; record: RunRecord; settled?: Promise<RunRecord> };

/** Validate, gate and submit one HTTP message; refusals are thrown as ApiError. */
export async function admitMessage(req: MessageRequest, policy: AdmitPolicy, listener?: RunListener): Promise<Admission> {
  // 4. content parts first (each validated, URL parts downloaded), then text or at least one part
  const { parts, mentionTexts } = await normalizeContentParts(req.content_parts, policy.partPolicy)
    .catch((err: Error) => { throw badRequest(err.message); });
  const text = req.text?.trim() ?? '';
  if (text === '' && parts.length === 0) throw badRequest('missing text');
  // 5. user
  const userId = req.user_id?.trim() || req.from?.trim() || '';
  if (userId === '') throw badRequest('missing user_id or from');
  // 6. allowlist
  if (policy.allowUsers && !policy.allowUsers.has(userId)) throw new ApiError(403, 'unauthorized', 'user is not allowed');
  // 7. mention gating, only for thread messages
  if (policy.requireMention && (req.thread?.trim() ?? '') !== '') {
    const mentionText = [text, ...mentionTexts].join('\n');
    if (!policy.mentionPatterns.some((p) => mentionText.includes(p))) return { kind: 'ignored' };
  }
  // 8. session id
  const sessionKey = req.session_id?.trim() || deriveSessionId(req);
  // 9. model alias, only validated against a configured catalog
  const model = req.model?.trim() ?? '';
  if (model !== '' && policy.modelCatalog && !policy.modelCatalog.has(model)) {
    throw new ApiError(400, 'invalid_model', `model "${model}" is not available`);
  }
  // 10–11. request id, idempotency, then the session's lane (queue mode, bounded queue: 429 queue_full);
  // the journal write failing for lack of disk is 507 insufficient_storage, and nothing was recorded
  let result: InboundResult;
  try {
    // durable (group commit) before the 202 goes out, and started only then
    result = await policy.inbound.submitGrouped({
      surface: 'http', origin: { surface: 'http' }, sessionKey, text, parts, sender: { id: userId },
      idempotencyKey: req.request_id, queueMode: req.queue_mode, listener,
      model: model || undefined,
      systemPrompt: req.request_system_prompt?.trim() || undefined,
      lateContext: req.request_late_context_prompt?.trim() || undefined,
    });
  } catch (err) {
    throw err instanceof StorageUnavailable ? insufficientStorage(err.message) : err;
  }
  if (result.kind === 'conflict') throw new ApiError(409, 'conflict', result.message);
  if (result.kind === 'full') throw new ApiError(429, 'queue_full', result.message);
  return result;
}

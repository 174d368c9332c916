import type { JsonResponse } from './types.js';

/** An error answered as `{"error":{"type","message"}}` with a status code (http-gateway.md §2.3). */
export class ApiError extends Error {
  constructor(readonly status: number, readonly type: string, message: string, readonly headers?: Record<string, string>) {
    super(message);
  }
}

export const JSON_HEADERS = { 'Content-Type': 'application/json' };

export function json(status: number, value: unknown, headers?: Record<string, string>): JsonResponse {
  return { status, body: JSON.stringify(value), headers: headers ? { ...JSON_HEADERS, ...headers } : JSON_HEADERS };
}

export function errorResponse(err: ApiError): JsonResponse {
  return json(err.status, { error: { type: err.type, message: err.message } }, err.headers);
}

export const badRequest = (message: string) => new ApiError(400, 'invalid_request', message);

/** 507: the state dir's disk is full or failing (the message says so and names the dir); retry later. */
export const insufficientStorage = (message: string) => new ApiError(507, 'insufficient_storage', message);

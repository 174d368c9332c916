import type { ChatCompletionFunctionTool, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { RunEvent } from '../core/run.js';

// One model turn, provider-neutral for the agent loop: stream text and usage, then report the tool calls
// the model asked for. Messages use the OpenAI chat format (every provider we speak is OpenAI-compatible).

export type ChatMessage = ChatCompletionMessageParam;

export interface ToolCallRequest {
  id: string;
  /** The wire name the model used (see ToolRegistry). */
  name: string;
  /** The raw arguments JSON text. */
  arguments: string;
}

export interface TurnResult {
  text: string;
  toolCalls: ToolCallRequest[];
}

export interface ChatModel {
  /** Yields `delta` and `usage` events, returns the turn's text and tool calls; throws RunError on failure. */
  turn(req: { messages: ChatMessage[]; tools: ChatCompletionFunctionTool[]; model?: string }, signal: AbortSignal):
    AsyncGenerator<RunEvent, TurnResult, void>;
}

import type { ChatCompletionFunctionTool, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { RunEvent } from '../core/run.js';

// One model turn, provider-neutral for the agent loop: stream text and usage, then report the tool calls
// the model asked for. Messages use the OpenAI chat format (every provider we speak is OpenAI-compatible).

/** One message of a chat request, in the OpenAI chat format. */
export type ChatMessage = ChatCompletionMessageParam;

/** A tool call the model asked for in its turn. */
export interface ToolCallRequest {
  id: string;
  /** The wire name the model used (see ToolRegistry). */
  name: string;
  /** The raw arguments JSON text. */
  arguments: string;
}

/** What a model turn ends with: its whole text and the tool calls it asked for. */
export interface TurnResult {
  text: string;
  toolCalls: ToolCallRequest[];
}

/** A chat model, one streamed turn at a time (the OpenAI-compatible client, or a fake in tests). */
export interface ChatModel {
  /** Yields `delta` and `usage` events, returns the turn's text and tool calls; throws RunError on failure. */
  turn(req: { messages: ChatMessage[]; tools: ChatCompletionFunctionTool[]; model?: string }, signal: AbortSignal):
    AsyncGenerator<RunEvent, TurnResult, void>;
}

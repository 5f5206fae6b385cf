/**
 * The language model step of naming (issue 11), made deterministic: an OpenAI-compatible client, the request for
 * one table, the checks its answer must pass, and the record of each consultation that makes it replayable.
 */
export { ATTEMPTS, chat, defaultChatDeps, LlmFailure, type ChatDeps, type ChatReply, type LlmFailureKind } from './client.ts';
export { addTotals, consult, noTotals, sumTotals, usableAnswer, type Attempt, type Consultation, type LlmTotals } from './consult.ts';
export { columnEntries, MIN_SERIES, shapeOf, type ColumnEntries, type Series, type Single } from './series.ts';
export { MAX_ENTRIES, retryBody, requestSha256, sendable, tableRequest, type ChatBody, type TableForModel, type TableRequest } from './prompt.ts';
export { ANSWER_SCHEMA, checkAnswer, parseAnswer, SCHEMA_VERSION, type Answer } from './schema.ts';
export { LlmSession } from './session.ts';
export { canAsk, DEFAULT_BASE_URL, ENV, llmSettings, Secret, settingsIdentity, type LlmSettings } from './settings.ts';
export { identifierProblem, namingProblems, type Expected } from './validate.ts';

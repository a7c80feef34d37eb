/**
 * The content of request and response messages, as IPC::Manager's services
 * shape them (IPC::Manager::Role::Service::Requests `send_request`,
 * IPC::Manager::Role::Service `send_response` and `run_on_message`).
 * A request and its response are ordinary messages; only their content
 * tells them apart.
 */

/** The content of a request message. */
export interface RequestContent<Req = unknown> {
  /** A fresh UUID naming the request; its response carries it back. */
  ipcm_request_id: string;
  /** The request value. `undefined` is sent as `null` (Perl's `undef`). */
  request: Req;
  [extra: string]: unknown;
}

/** The content of a response message. */
export interface ResponseContent<Res = unknown> {
  /** The `ipcm_request_id` of the request answered. */
  ipcm_response_id: string;
  /** The response value; `null` when the handler failed. */
  response: Res | null;
  /** Present (and a string) only when the peer's handler failed. */
  ipcm_error?: string;
  [extra: string]: unknown;
}

/**
 * Perl's truth, which IPC::Manager applies to the ids (`if
 * $c->{ipcm_request_id}`): `undef`, `""`, `"0"` and `0` are false.
 */
function perlTrue(value: unknown): boolean {
  return value !== undefined && value !== null && value !== false && value !== 0 && value !== '' && value !== '0';
}

function plainObject(content: unknown): content is Record<string, unknown> {
  return typeof content === 'object' && content !== null && !Array.isArray(content);
}

/**
 * True when `content` is a request as IPC::Manager classifies it: an object
 * (a Perl hash) with a true `ipcm_request_id`. Checked before
 * {@link isResponseContent}, as IPC::Manager does, so content with both ids
 * is a request.
 */
export function isRequestContent(content: unknown): content is RequestContent {
  return plainObject(content) && perlTrue(content['ipcm_request_id']);
}

/**
 * True when `content` is a response as IPC::Manager classifies it: an
 * object with a true `ipcm_response_id` and no true `ipcm_request_id`.
 */
export function isResponseContent(content: unknown): content is ResponseContent {
  return plainObject(content) && !perlTrue(content['ipcm_request_id']) && perlTrue(content['ipcm_response_id']);
}

/** The content of a request: `{"ipcm_request_id": id, "request": value}`. */
export function requestContent<Req>(id: string, request: Req): RequestContent<Req> {
  return { ipcm_request_id: id, request: (request === undefined ? null : request) as Req };
}

/**
 * The content of a response: `{"ipcm_response_id": id, "response": value}`,
 * or on failure `response: null` and `"ipcm_error": text`.
 */
export function responseContent<Res>(id: string, response: Res, error?: string): ResponseContent<Res> {
  if (error !== undefined) return { ipcm_response_id: id, response: null, ipcm_error: error };
  return { ipcm_response_id: id, response: response === undefined ? null : response };
}

/** The text IPC::Manager sends when a handler fails and details are not exposed. */
export const GENERIC_HANDLER_ERROR = 'Internal service error';

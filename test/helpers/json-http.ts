// Plain JSON exchanges with fetch, for the HTTP plane tests.

/** A JSON answer: status, headers and the parsed body (undefined when the body is empty). */
export interface JsonAnswer {
  status: number;
  headers: Headers;
  json: any;
}

/** POST JSON (or a raw string body) and parse the JSON answer. */
export async function postJson(url: string, body: unknown, init: RequestInit = {}): Promise<JsonAnswer> {
  return answer(await fetch(url, {
    method: 'POST', ...init,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  }));
}

/** GET and parse the JSON answer. */
export async function getJson(url: string): Promise<JsonAnswer> {
  return answer(await fetch(url));
}

async function answer(res: Response): Promise<JsonAnswer> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

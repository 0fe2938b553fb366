/** An answer of the API as the tests read it: the status, the headers and the parsed JSON body (undefined when empty). */
export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** One call to a running server over real HTTP, as `Bearer <token>` (none when undefined), with a JSON body when given. */
export async function callJson(baseUrl: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<JsonAnswer> {
  const response = await fetch(baseUrl + path, {
    method,
    headers: {
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

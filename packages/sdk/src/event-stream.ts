/** One Server-Sent Event: its `id:` (when it had one), `event:` name (default `message`) and `data:`. */
export interface ServerSentEvent {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * Parses Server-Sent Events framing (the WHATWG EventSource rules that matter here): lines end with
 * LF, CRLF or CR; `field: value` lines; comment lines start with `:`; a blank line dispatches.
 */
export class EventStreamParser {
  private buffer = '';
  private id: string | undefined;
  private event = '';
  private data: string[] = [];
  /** A CR ended the previous chunk: an LF opening the next one belongs to it. */
  private pendingCR = false;

  constructor(private readonly dispatch: (event: ServerSentEvent) => void) {}

  push(text: string): void {
    if (this.pendingCR && text.startsWith('\n')) text = text.slice(1);
    this.pendingCR = false;
    this.buffer += text;
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const char = this.buffer.charCodeAt(i);
      if (char !== 10 && char !== 13) continue;
      this.line(this.buffer.slice(start, i));
      if (char === 13) {
        if (i + 1 === this.buffer.length) this.pendingCR = true;
        else if (this.buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0 || this.event !== '') {
        this.dispatch({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
      }
      this.event = '';
      this.data = [];
      this.id = undefined;
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}

export interface EventStreamOptions {
  url: string;
  token: string;
  fetch: typeof fetch;
  /** The id to resume after (`Last-Event-ID`), asked before each connection. */
  lastEventId: () => string | undefined;
  onEvent: (event: ServerSentEvent) => void;
  /** A connection ended or could not be made (cut, refused, silent too long, an error answer's status), with why. */
  onDrop: (reason: string, status?: number) => void;
  /** Silence, in milliseconds, after which the connection counts as cut (the server beats every second). */
  heartbeatTimeoutMs: number;
  userAgent: string;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

/** Reconnection delay: 100 ms doubling to 2 s, ±25 % jitter, so a restarted server is not stampeded. */
function reconnectDelayMs(attempt: number): number {
  return Math.min(2000, 100 * 2 ** attempt) * (0.75 + Math.random() * 0.5);
}

/**
 * Keeps one Server-Sent Events connection open over `fetch` streaming until `close()`: reconnects
 * with backoff, resumes with `Last-Event-ID`, and treats `heartbeatTimeoutMs` of silence as a cut.
 */
export class EventStream {
  private readonly closed = new AbortController();
  private current: AbortController | undefined;
  private readonly done: Promise<void>;

  constructor(private readonly options: EventStreamOptions) {
    this.done = this.run();
  }

  /** Ends the connection and stops reconnecting; resolves once the loop has stopped. */
  close(): Promise<void> {
    this.closed.abort();
    this.current?.abort();
    return this.done;
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.closed.signal.aborted; attempt++) {
      if (await this.connectOnce()) attempt = 0;
      if (this.closed.signal.aborted) return;
      await sleep(reconnectDelayMs(attempt), this.closed.signal);
    }
  }

  /** One connection, read until it ends. Resolves true when the server answered 200. */
  private async connectOnce(): Promise<boolean> {
    const controller = new AbortController();
    this.current = controller;
    const lastEventId = this.options.lastEventId();
    let lastHeard = Date.now();
    let opened = false;
    const watchdog = setInterval(() => {
      if (Date.now() - lastHeard >= this.options.heartbeatTimeoutMs) controller.abort(new Error('no heartbeat'));
    }, Math.max(50, Math.floor(this.options.heartbeatTimeoutMs / 6)));
    try {
      const response = await this.options.fetch(this.options.url, {
        headers: {
          Authorization: `Bearer ${this.options.token}`,
          Accept: 'text/event-stream',
          'User-Agent': this.options.userAgent,
          ...(lastEventId !== undefined ? { 'Last-Event-ID': lastEventId } : {}),
        },
        signal: controller.signal,
      });
      if (!response.ok || !response.body) {
        await response.body?.cancel().catch(() => undefined);
        this.options.onDrop(`the event stream answered HTTP ${response.status}`, response.status);
        return false;
      }
      opened = true;
      const parser = new EventStreamParser(this.options.onEvent);
      const decoder = new TextDecoder();
      const reader = response.body.getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        lastHeard = Date.now();
        parser.push(decoder.decode(value, { stream: true }));
      }
      if (!this.closed.signal.aborted) this.options.onDrop('the event stream ended');
      return true;
    } catch (error) {
      if (!this.closed.signal.aborted) this.options.onDrop(describe(controller.signal.aborted ? controller.signal.reason : error));
      return opened;
    } finally {
      clearInterval(watchdog);
      controller.abort();
    }
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const message = (error as Error)?.message ?? String(error);
  return cause?.code ? `${message} (${cause.code})` : message;
}

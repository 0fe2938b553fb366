import { hash } from 'node:crypto';
import { ConfigurationError, ServiceUnavailableError, errorFromResponse } from './errors.js';
import { EventStream, type ServerSentEvent } from './event-stream.js';
import { DEFAULT_KEY_PREFIX, hasValidKeyFormat } from './key-format.js';
import { USER_AGENT, parseRetryAfter } from './transport.js';

const VERIFIER_USER_AGENT = `${USER_AGENT} verifier`;

export interface VerifierOptions {
  /** Where Cadreen answers. Defaults to CADREEN_BASE_URL, then http://127.0.0.1:8080. */
  baseURL?: string;
  /** A verifier token (one of CADREEN_VERIFIER_TOKENS) or the admin token. Defaults to CADREEN_VERIFIER_TOKEN. */
  token?: string;
  /** How long cached answers are trusted after the event stream drops, in milliseconds (default 5 000). */
  maxStalenessMs?: number;
  /** When Cadreen cannot be reached, answer from the cache however old (with a `warning`) instead of failing (default false). */
  failOpen?: boolean;
  /** The most keys remembered (default 10 000); the least recently used are forgotten first. */
  cacheSize?: number;
  /** The deployment's key prefix (`CADREEN_KEY_PREFIX`, default `sk_cadreen_`). */
  keyPrefix?: string;
  /** Per call to Cadreen, in milliseconds (default 5 000). */
  timeout?: number;
  /** A fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

/** The refusal codes `verify` answers with, as `POST /api/v1/cadreen/keys/verify` does. */
export type VerifyRefusalCode = 'auth_missing' | 'auth_invalid' | 'auth_revoked' | 'auth_rotating' | 'rate_limited';

/** What the middleware puts on the request: the caller's workspace and key. */
export interface CadreenCaller {
  workspaceId: string;
  keyId: string;
  status: 'active' | 'rotating';
}

/** The answer of `verify`: the caller, or a refusal with its stable code (`retryAfter` in seconds with `rate_limited`). */
export type VerifyResult =
  | ({ valid: true } & CadreenCaller)
  | {
      valid: false;
      code: VerifyRefusalCode;
      workspaceId?: string;
      keyId?: string;
      status?: 'active' | 'rotating' | 'revoked' | 'expired';
      retryAfter?: number;
    };

/** What a Verifier reports: the event stream's state, a `reset` of the cache, and warnings (fail-open answers, a refused token). */
export interface VerifierEvents {
  connected: [];
  disconnected: [reason: string];
  reset: [];
  warning: [message: string];
}

/** One verified key: its answer, how long it may be trusted, and the rate-limit units leased for it. */
interface Entry {
  digest: string;
  result: Readonly<{ valid: true } & CadreenCaller>;
  /** min(expires_at, grace_until) in epoch ms; Infinity when neither. */
  trustUntil: number;
  limit: number;
  /** What the server last said was left, less what was leased since; back to `limit` after `windowResetsAt`. */
  remaining: number;
  windowResetsAt: number;
  /** Units charged up front and not yet spent. */
  lease: number;
  /** A lease was refused (granted 0): refuse locally until then. */
  exhaustedUntil: number;
  leasing: Promise<void> | undefined;
  dropped: boolean;
  /** The value of `placed` when the entry was last put at the end of the map. */
  placedAt: number;
}

interface VerifyAnswer {
  valid: boolean;
  code?: string;
  workspace_id?: string;
  key_id?: string;
  status?: 'active' | 'rotating' | 'revoked' | 'expired';
  ratelimit?: { limit: number; remaining: number; reset: number };
  expires_at?: string | null;
  grace_until?: string | null;
}

interface LeaseAnswer {
  key_id: string;
  granted: number;
  limit: number;
  reset: number;
}

/** How long an `auth_invalid` answer is remembered (an unknown key stays unknown). */
const INVALID_TTL_MS = 10_000;
/** Silence after which the event stream counts as cut (the server beats every second). */
const HEARTBEAT_TIMEOUT_MS = 3_000;
/** With nobody listening for `warning`, at most one line on the console this often. */
const UNHEARD_WARNING_INTERVAL_MS = 60_000;

const MISSING: VerifyResult = Object.freeze({ valid: false, code: 'auth_missing' });
const INVALID: VerifyResult = Object.freeze({ valid: false, code: 'auth_invalid' });

const env = (name: string): string | undefined =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name] || undefined;

/** The key in an `Authorization` header value (`Bearer <key>`) or a bare key; null when there is none. */
export function readKey(headerOrKey: string | null | undefined): string | null {
  if (!headerOrKey) return null;
  const bearer = /^Bearer[ ]+([^\s]+)\s*$/i.exec(headerOrKey);
  if (bearer) return bearer[1]!;
  const bare = headerOrKey.trim();
  return bare === '' || /\s/.test(bare) ? null : bare;
}

/** Epoch milliseconds of an ISO timestamp, or Infinity for none. */
const until = (iso: string | null | undefined) => (iso ? Date.parse(iso) : Infinity);

/**
 * Verifies API keys inside your own service: a key seen before is answered from memory (checksum,
 * SHA-256, cache, a locally spent rate-limit lease), a new one asks Cadreen. An event stream from
 * Cadreen drops revoked, rotated, expired and changed keys within milliseconds. Cached answers are
 * trusted while the stream is connected and for `maxStalenessMs` after it drops; past that every
 * verification asks Cadreen, and when Cadreen cannot be reached `verify` throws a
 * `ServiceUnavailableError` unless `failOpen` is set.
 *
 * ```ts
 * const verifier = new Verifier({ baseURL: 'http://cadreen:8080', token: process.env.CADREEN_VERIFIER_TOKEN });
 * const result = await verifier.verify(request.headers.authorization);
 * if (result.valid) console.log(result.workspaceId);
 * ```
 */
export class Verifier {
  readonly baseURL: string;
  private readonly token: string;
  private readonly maxStalenessMs: number;
  private readonly failOpen: boolean;
  private readonly cacheSize: number;
  private readonly keyPrefix: string;
  /** The length of every well-formed key: the prefix, 30 random and 6 checksum characters. */
  private readonly keyLength: number;
  private readonly timeout: number;
  private readonly fetch: typeof fetch;
  /** By SHA-256 hex of the key, least recently used first (approximately). */
  private readonly entries = new Map<string, Entry>();
  /** How many times an entry was put at the end of `entries`. */
  private placed = 0;
  private readonly byKeyId = new Map<string, Entry>();
  /** SHA-256 hex of keys the server called auth_invalid → until when that is remembered. */
  private readonly invalid = new Map<string, number>();
  /** Misses on their way to the server, by SHA-256 hex of the key. */
  private readonly asking = new Map<string, Promise<VerifyResult>>();
  private readonly listeners: { [E in keyof VerifierEvents]: Array<(...args: VerifierEvents[E]) => void> } = {
    connected: [],
    disconnected: [],
    reset: [],
    warning: [],
  };
  private readonly stream: EventStream;
  private isConnected = false;
  private disconnectedAt: number | undefined;
  private appliedEventId: number | undefined;
  /** Grows with every change applied to the cache, so an answer that crossed a change is not cached. */
  private generation = 0;
  private lastUnheardWarning = -Infinity;

  constructor(options: VerifierOptions = {}) {
    const token = options.token ?? env('CADREEN_VERIFIER_TOKEN');
    if (!token) {
      throw new ConfigurationError({
        message: 'no token: pass { token } (a verifier token or the admin token) or set CADREEN_VERIFIER_TOKEN',
        code: 'configuration_error',
      });
    }
    this.token = token;
    this.baseURL = (options.baseURL ?? env('CADREEN_BASE_URL') ?? 'http://127.0.0.1:8080').replace(/\/+$/, '');
    this.maxStalenessMs = options.maxStalenessMs ?? 5000;
    this.failOpen = options.failOpen ?? false;
    this.cacheSize = Math.max(1, options.cacheSize ?? 10_000);
    this.keyPrefix = options.keyPrefix ?? DEFAULT_KEY_PREFIX;
    this.keyLength = this.keyPrefix.length + 36;
    this.timeout = options.timeout ?? 5000;
    this.fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.stream = new EventStream({
      url: `${this.baseURL}/api/v1/cadreen/keys/events`,
      token,
      fetch: this.fetch,
      heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
      userAgent: VERIFIER_USER_AGENT,
      lastEventId: () => (this.appliedEventId === undefined ? undefined : String(this.appliedEventId)),
      onEvent: (event) => this.apply(event),
      onDrop: (reason, status) => this.dropped(reason, status),
    });
  }

  /** Whether the event stream is connected now (cached answers are fresh). */
  get connected(): boolean {
    return this.isConnected;
  }

  /** The id of the newest change event applied to the cache, once the stream has connected. */
  get lastEventId(): number | undefined {
    return this.appliedEventId;
  }

  on<E extends keyof VerifierEvents>(event: E, listener: (...args: VerifierEvents[E]) => void): this {
    this.listeners[event].push(listener);
    return this;
  }

  off<E extends keyof VerifierEvents>(event: E, listener: (...args: VerifierEvents[E]) => void): this {
    const list = this.listeners[event];
    const at = list.indexOf(listener);
    if (at >= 0) list.splice(at, 1);
    return this;
  }

  /**
   * Verifies `Bearer <key>` (an Authorization header's value) or a bare key. Resolves with the caller
   * or a refusal; throws a `ServiceUnavailableError` when Cadreen had to be asked and could not be
   * reached (unless `failOpen`), or a `CadreenError` when it refused the verifier's own token.
   */
  verify(headerOrKey: string | null | undefined): Promise<VerifyResult> {
    // The common shapes without a regular expression: a bare key, or `Bearer <key>`.
    let key: string | null | undefined = headerOrKey;
    if (typeof key !== 'string' || key.length !== this.keyLength) {
      key = key?.length === this.keyLength + 7 && key.startsWith('Bearer ') ? key.slice(7) : readKey(key);
      if (key === null) return Promise.resolve(MISSING);
      if (key.length !== this.keyLength) return Promise.resolve(INVALID);
    }
    // A cached digest is a well-formed key (it was checked before it was cached): a hit needs no checksum.
    const digest = hash('sha256', key, 'hex');
    const entry = this.entries.get(digest);
    if (entry === undefined) return this.miss(key, digest);
    const now = Date.now();
    if (now >= entry.trustUntil) {
      this.forget(entry);
      return this.miss(key, digest);
    }
    if (!this.isFresh(now)) return this.ask(key, digest, entry);
    // Least recently used first, approximately: an entry moves to the end only once the map has
    // taken in half its size since it was last put there (moving on every hit costs a rehash).
    if (this.placed - entry.placedAt > this.cacheSize >> 1) {
      this.entries.delete(digest);
      this.entries.set(digest, entry);
      entry.placedAt = ++this.placed;
    }
    if (entry.lease > 0) {
      entry.lease--;
      return Promise.resolve(entry.result);
    }
    return this.spendFromNewLease(key, entry);
  }

  /** A key with no usable entry: checked locally, then remembered as unknown, or asked about. */
  private miss(key: string, digest: string): Promise<VerifyResult> {
    // (A header of a key's length that is not one, `Basic …`, is no key at all.)
    if (!hasValidKeyFormat(key, this.keyPrefix)) return Promise.resolve(readKey(key) === null ? MISSING : INVALID);
    const now = Date.now();
    const invalidUntil = this.invalid.get(digest);
    if (invalidUntil !== undefined) {
      if (now < invalidUntil) return Promise.resolve(INVALID);
      this.invalid.delete(digest);
    }
    return this.isFresh(now) ? this.askOnce(key, digest) : this.ask(key, digest, undefined);
  }

  /** Stops the event stream. Cached answers then age out after `maxStalenessMs`. */
  async close(): Promise<void> {
    await this.stream.close();
    if (this.isConnected) {
      this.isConnected = false;
      this.disconnectedAt = Date.now();
      this.emit('disconnected', 'closed');
    }
  }

  private isFresh(now: number): boolean {
    return this.isConnected || (this.disconnectedAt !== undefined && now - this.disconnectedAt < this.maxStalenessMs);
  }

  /**
   * A miss while the cache is fresh: one request per key at a time. Callers that arrive while it is
   * on its way wait for it, then spend from a lease like any hit (the server charged one unit for
   * the first caller only).
   */
  private async askOnce(key: string, digest: string): Promise<VerifyResult> {
    const pending = this.asking.get(digest);
    if (pending === undefined) {
      const asked = this.ask(key, digest, undefined).finally(() => this.asking.delete(digest));
      this.asking.set(digest, asked);
      return asked;
    }
    const first = await pending.catch(() => undefined);
    if (first !== undefined && !first.valid) return first;
    const entry = this.entries.get(digest);
    if (entry === undefined || !this.isFresh(Date.now())) return this.ask(key, digest, undefined);
    return this.spendFromNewLease(key, entry);
  }

  /** A miss, or an entry that can no longer be trusted by itself: ask Cadreen. */
  private async ask(key: string, digest: string, stale: Entry | undefined): Promise<VerifyResult> {
    const generation = this.generation;
    let answer: VerifyAnswer;
    try {
      answer = await this.post<VerifyAnswer>('/api/v1/cadreen/keys/verify', { key });
    } catch (error) {
      if (error instanceof ServiceUnavailableError && this.failOpen && stale && !stale.dropped && Date.now() < stale.trustUntil) {
        this.warn(`Cadreen could not be reached (${error.message}); answering from a cached verification (failOpen)`);
        return stale.result;
      }
      throw error;
    }
    if (answer.valid && answer.workspace_id && answer.key_id && (answer.status === 'active' || answer.status === 'rotating')) {
      const result = Object.freeze({ valid: true as const, workspaceId: answer.workspace_id, keyId: answer.key_id, status: answer.status });
      // A change applied while the answer was on its way may concern this key: do not cache what it may contradict.
      if (generation === this.generation) this.remember(digest, result, answer);
      else if (stale) this.forget(stale);
      return result;
    }
    if (stale) this.forget(stale);
    if (answer.code === 'auth_invalid') this.rememberInvalid(digest);
    return refusalOf(answer);
  }

  /** The entry's lease is spent: lease more (one request at a time per key) and spend one unit of it. */
  private async spendFromNewLease(key: string, entry: Entry): Promise<VerifyResult> {
    for (;;) {
      if (entry.dropped) return this.ask(key, entry.digest, undefined);
      if (entry.lease > 0) {
        entry.lease--;
        return entry.result;
      }
      const now = Date.now();
      if (now < entry.exhaustedUntil) {
        const { workspaceId, keyId, status } = entry.result;
        const retryAfter = Math.max(1, Math.ceil((entry.exhaustedUntil - now) / 1000));
        return { valid: false, code: 'rate_limited', workspaceId, keyId, status, retryAfter };
      }
      if (!entry.leasing) {
        entry.leasing = this.lease(entry).finally(() => {
          entry.leasing = undefined;
        });
      }
      try {
        await entry.leasing;
      } catch (error) {
        if (error instanceof ServiceUnavailableError && this.failOpen && !entry.dropped) {
          this.warn(`Cadreen could not be reached (${error.message}); admitting without a rate-limit lease (failOpen)`);
          return entry.result;
        }
        throw error;
      }
    }
  }

  /** Asks for at most 10 % of the limit, never more than is left, and adds what was granted. */
  private async lease(entry: Entry): Promise<void> {
    const now = Date.now();
    if (now >= entry.windowResetsAt) entry.remaining = entry.limit;
    const units = Math.max(1, Math.min(Math.floor(entry.limit / 10), entry.remaining));
    let grant: LeaseAnswer;
    try {
      grant = await this.post<LeaseAnswer>('/api/v1/cadreen/keys/leases', { key_id: entry.result.keyId, units });
    } catch (error) {
      // The key may no longer authenticate: forget it, and the caller asks the server about it.
      if ((error as { code?: string }).code === 'not_found') return this.forget(entry);
      throw error;
    }
    const after = Date.now();
    // The lease names the key's own limit; the verify answer named the tightest (a workspace budget may be).
    entry.limit = Math.min(entry.limit, grant.limit);
    entry.lease += grant.granted;
    entry.remaining = Math.max(0, entry.remaining - grant.granted);
    entry.windowResetsAt = after + grant.reset * 1000;
    if (grant.granted === 0) {
      entry.remaining = 0;
      entry.exhaustedUntil = after + Math.max(1, grant.reset) * 1000;
    }
  }

  /** POSTs JSON to Cadreen; a network failure, a timeout or a 5xx answer is a ServiceUnavailableError. */
  private async post<T>(path: string, body: unknown): Promise<T> {
    let response: Response;
    try {
      response = await this.fetch(`${this.baseURL}${path}`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${this.token}`,
          Accept: 'application/json',
          'Content-Type': 'application/json',
          'User-Agent': VERIFIER_USER_AGENT,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeout),
      });
    } catch (error) {
      const timedOut = (error as Error)?.name === 'TimeoutError';
      throw new ServiceUnavailableError({
        message: timedOut ? `no answer from ${this.baseURL} within ${this.timeout} ms` : `could not reach ${this.baseURL}`,
        code: 'service_unavailable',
        retryAfter: 1,
        cause: error,
      });
    }
    if (response.ok) return (await response.json()) as T;
    const answer: unknown = await response.json().catch(() => undefined);
    if (response.status >= 500) {
      throw new ServiceUnavailableError({
        message: `Cadreen answered HTTP ${response.status}`,
        code: 'service_unavailable',
        status: response.status,
        retryAfter: 1,
      });
    }
    throw errorFromResponse(response.status, answer, parseRetryAfter(response.headers.get('retry-after')));
  }

  private remember(digest: string, result: Entry['result'], answer: VerifyAnswer): void {
    const old = this.entries.get(digest);
    if (old) this.forget(old);
    const now = Date.now();
    // Units leased for the entry this one replaces are kept: they were charged already.
    const kept = old && old.result.keyId === result.keyId ? old : undefined;
    const limit = answer.ratelimit?.limit ?? 1;
    const entry: Entry = {
      digest,
      result,
      trustUntil: Math.min(until(answer.expires_at), until(answer.grace_until)),
      limit,
      remaining: answer.ratelimit?.remaining ?? limit,
      windowResetsAt: now + (answer.ratelimit?.reset ?? 0) * 1000,
      lease: kept?.lease ?? 0,
      exhaustedUntil: kept?.exhaustedUntil ?? 0,
      leasing: undefined,
      dropped: false,
      placedAt: ++this.placed,
    };
    this.entries.set(digest, entry);
    this.byKeyId.set(result.keyId, entry);
    if (this.entries.size > this.cacheSize) this.forget(this.entries.values().next().value!);
  }

  private rememberInvalid(digest: string): void {
    this.invalid.delete(digest);
    this.invalid.set(digest, Date.now() + INVALID_TTL_MS);
    if (this.invalid.size > this.cacheSize) this.invalid.delete(this.invalid.keys().next().value!);
  }

  /** Forgets an entry; units leased for it and not spent are given up (they lapse with the window). */
  private forget(entry: Entry): void {
    entry.dropped = true;
    if (this.entries.get(entry.digest) === entry) this.entries.delete(entry.digest);
    if (this.byKeyId.get(entry.result.keyId) === entry) this.byKeyId.delete(entry.result.keyId);
  }

  private clear(): void {
    for (const entry of this.entries.values()) entry.dropped = true;
    this.entries.clear();
    this.byKeyId.clear();
    this.invalid.clear();
    this.generation++;
  }

  /** Applies one event of the stream to the cache. */
  private apply(event: ServerSentEvent): void {
    const id = event.id !== undefined && /^\d+$/.test(event.id) ? Number(event.id) : undefined;
    const data = parseData(event.data);
    switch (event.event) {
      case 'ready': {
        // The first connection starts from now: answers cached before it are not covered by any event.
        if (this.appliedEventId === undefined) {
          this.clear();
          const latest = (data as { last_event_id?: unknown } | undefined)?.last_event_id;
          this.appliedEventId = typeof latest === 'number' ? latest : 0;
        }
        this.isConnected = true;
        this.disconnectedAt = undefined;
        this.emit('connected');
        return;
      }
      case 'reset':
        this.clear();
        this.emit('reset');
        break;
      case 'workspace.updated': {
        const workspaceId = (data as { workspace_id?: string } | undefined)?.workspace_id;
        for (const entry of [...this.entries.values()]) if (entry.result.workspaceId === workspaceId) this.forget(entry);
        this.generation++;
        break;
      }
      default: {
        if (!event.event.startsWith('key.')) break;
        const keyId = (data as { key_id?: string } | undefined)?.key_id;
        const entry = keyId === undefined ? undefined : this.byKeyId.get(keyId);
        if (entry) this.forget(entry);
        this.generation++;
      }
    }
    if (id !== undefined) this.appliedEventId = id;
  }

  private dropped(reason: string, status: number | undefined): void {
    if (status === 401 || status === 403) this.warn(`Cadreen refused the verifier's token on the event stream (HTTP ${status})`);
    if (!this.isConnected) return;
    this.isConnected = false;
    this.disconnectedAt = Date.now();
    this.emit('disconnected', reason);
  }

  private warn(message: string): void {
    if (this.listeners.warning.length > 0) return this.emit('warning', message);
    const now = Date.now();
    if (now - this.lastUnheardWarning < UNHEARD_WARNING_INTERVAL_MS) return;
    this.lastUnheardWarning = now;
    console.warn(`cadreen verifier: ${message}`);
  }

  private emit<E extends keyof VerifierEvents>(event: E, ...args: VerifierEvents[E]): void {
    for (const listener of [...this.listeners[event]]) listener(...args);
  }
}

function parseData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return undefined;
  }
}

/** A refusal of the server, camelCase, with `retryAfter` for `rate_limited`. */
function refusalOf(answer: VerifyAnswer): VerifyResult {
  return {
    valid: false,
    code: (answer.code ?? 'auth_invalid') as VerifyRefusalCode,
    ...(answer.workspace_id ? { workspaceId: answer.workspace_id } : {}),
    ...(answer.key_id ? { keyId: answer.key_id } : {}),
    ...(answer.status ? { status: answer.status } : {}),
    ...(answer.code === 'rate_limited' ? { retryAfter: Math.max(1, answer.ratelimit?.reset ?? 1) } : {}),
  };
}

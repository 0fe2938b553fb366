import type { Redis } from 'ioredis';
import type { Invalidation, InvalidationBus } from '../core/ports.js';

/**
 * Cache invalidations over Redis pub/sub. Pub/sub keeps nothing for a
 * subscriber that was away, so after every reconnection the bus reports a
 * gap and the caches start over.
 */
export class RedisInvalidationBus implements InvalidationBus {
  private readonly handlers: ((message: Invalidation) => void)[] = [];
  private readonly gapHandlers: (() => void)[] = [];
  private subscribedOnce = false;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly channel: string,
  ) {
    subscriber.on('message', (from: string, text: string) => {
      if (from !== this.channel) return;
      let message: Invalidation;
      try {
        message = JSON.parse(text) as Invalidation;
      } catch {
        return;
      }
      for (const handler of this.handlers) handler(message);
    });
    // ioredis re-subscribes on reconnect; every "ready" after the first means messages may have been lost.
    subscriber.on('ready', () => {
      if (this.subscribedOnce) for (const handler of this.gapHandlers) handler();
      this.subscribedOnce = true;
    });
  }

  /** Subscribes to the channel; resolves once subscribed. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(this.channel);
    this.subscribedOnce = true;
  }

  publish(message: Invalidation): void {
    this.publisher.publish(this.channel, JSON.stringify(message)).catch(() => {
      // Redis is away: other instances drop their caches when they reconnect, and entries expire anyway.
    });
  }

  subscribe(handler: (message: Invalidation) => void): void {
    this.handlers.push(handler);
  }

  onGap(handler: () => void): void {
    this.gapHandlers.push(handler);
  }

  async close(): Promise<void> {
    this.subscriber.disconnect();
    this.publisher.disconnect();
  }
}

/** One Server-Sent Events frame as received: its fields, a comment line, and when it arrived. */
export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
  /** `performance.now()` when the frame was complete. */
  at: number;
}

/** Follows a Server-Sent Events response over fetch, recording every frame as it arrives. */
export async function followEvents(url: string, headers: Record<string, string>) {
  const controller = new AbortController();
  const response = await fetch(url, { headers, signal: controller.signal });
  const frames: SseFrame[] = [];
  const reading = (async () => {
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const frame: SseFrame = { at: performance.now() };
        for (const line of buffer.slice(0, end).split('\n')) {
          if (line.startsWith(':')) frame.comment = line.slice(1).trim();
          const at = line.indexOf(': ');
          if (at > 0 && !line.startsWith(':')) (frame as unknown as Record<string, string>)[line.slice(0, at)] = line.slice(at + 2);
        }
        buffer = buffer.slice(end + 2);
        frames.push(frame);
      }
    }
  })().catch(() => undefined);
  return {
    response,
    frames,
    /** The frames that carry an event (not heartbeats). */
    events: () => frames.filter((frame) => frame.event !== undefined),
    close: async () => {
      controller.abort();
      await reading;
    },
  };
}

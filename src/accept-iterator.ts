/**
 * `for await (const socket of server)`: the connections a server accepts from the moment the
 * loop starts, in order, until the server stops listening. Another way to accept besides the
 * handler and the `'connection'` event (asyncio's `start_server` callback, Deno's
 * `for await (const conn of listener)`).
 *
 * @module
 */
import type { Socket } from "./socket.js";

/** What the iterator needs of a server: its `'connection'` and `'close'` events. */
export interface AcceptSource {
  on(event: "connection", listener: (socket: Socket) => void): unknown;
  off(event: "connection", listener: (socket: Socket) => void): unknown;
  once(event: "close", listener: () => void): unknown;
  readonly listening: boolean;
}

/**
 * Accepted sockets as an async iterator. Connections accepted while the loop body runs wait
 * in order (each is a live socket: `maxConnections` bounds them). Breaking out of the loop
 * stops listening for connections; sockets not yet handed out are closed, never leaked.
 */
export function acceptIterator(server: AcceptSource): AsyncIterableIterator<Socket> {
  const waiting: Socket[] = [];
  let next: ((result: IteratorResult<Socket, undefined>) => void) | undefined;
  let done = !server.listening;
  const onConnection = (socket: Socket): void => {
    if (next === undefined) {
      waiting.push(socket);
      return;
    }
    const resolve = next;
    next = undefined;
    resolve({ done: false, value: socket });
  };
  const finish = (): void => {
    done = true;
    server.off("connection", onConnection);
    next?.({ done: true, value: undefined });
    next = undefined;
  };
  if (!done) {
    server.on("connection", onConnection);
    server.once("close", finish);
  }
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    next(): Promise<IteratorResult<Socket, undefined>> {
      const socket = waiting.shift();
      if (socket !== undefined) return Promise.resolve({ done: false, value: socket });
      if (done) return Promise.resolve({ done: true, value: undefined });
      return new Promise((resolve) => {
        next = resolve;
      });
    },
    async return(): Promise<IteratorResult<Socket, undefined>> {
      finish();
      await Promise.all(waiting.splice(0).map((socket) => socket.close()));
      return { done: true, value: undefined };
    },
  };
}

/**
 * The events of a {@link Socket} and how it ended: types only.
 *
 * @module
 */
import type { SocketError } from "./errors.js";
import type { ReconnectingEvent } from "./reconnect.js";
import type { SendComplete, SendProgress } from "./send-progress.js";
import type { SocketInfo } from "./socket-info.js";

/** How a socket ended: `closed` resolves with this, and `'close'` carries it. */
export interface CloseInfo {
  /** Whether the socket ended by an error (a reset, a failed connect, `destroy(error)`). */
  hadError: boolean;
  /** The error, when `hadError`. */
  error?: SocketError;
}

/** Events of a {@link Socket}. `Tag` is the type of the tags given to `read()` and `write()`. */
export interface SocketEvents<Tag> {
  /** Connected (LiveCode's callback message; hs.socket's connect callback). */
  connect: [info: SocketInfo];
  /** A tagged `read()` completed (hs.socket read callback). */
  read: [data: Buffer, tag: Tag | undefined];
  /** A tagged `read()` failed; `error.partial` holds bytes when the stream ended mid-read. */
  readError: [error: SocketError, tag: Tag | undefined];
  /** The bytes of a `write()` reached the kernel (hs.socket write callback, Xojo `SendComplete`). */
  written: [tag: Tag | undefined];
  /** A chunk of `sendFrom()`/`sendFile()` reached the kernel (Xojo `SendProgress`). */
  progress: [progress: SendProgress];
  /** `sendFrom()`/`sendFile()` ended: every byte sent, or stopped by its signal (Xojo `SendComplete`). */
  sendComplete: [result: SendComplete];
  /** Queued writes fell below the write high-water mark: `write()` has room again. */
  drain: [];
  /** New bytes arrived in the receive buffer (Xojo `DataAvailable`). */
  dataAvailable: [];
  /** The peer sent FIN: no more bytes will arrive. */
  end: [];
  /** No traffic for `timeout` ms (LiveCode `socketTimeout`). The socket stays open. */
  timeout: [];
  /** An error. Emitted only when a listener is attached; it never crashes the process. */
  error: [error: SocketError];
  /**
   * A reconnecting client lost its connection, or an attempt failed: attempt `attempt` comes
   * in `delay` ms (`connect(target, { reconnect })`).
   */
  reconnecting: [event: ReconnectingEvent];
  /** A reconnecting client is connected again (`'connect'` is for the first connection only). */
  reconnected: [info: SocketInfo];
  /** The socket is closed; always the last event. */
  close: [info: CloseInfo];
}

/**
 * sockit: TCP, TLS, Unix-domain and UDP sockets for Node.js with queued reads, framing,
 * servers, and the `sockit` command. The public surface: re-exports only.
 *
 * @module
 */
export {
  type Endpoint,
  formatAddress,
  formatEndpoint,
  parseLocal,
  parseTarget,
  type TargetInput,
  type TcpEndpoint,
  type UnixEndpoint,
} from "./address.js";
export { availableDecoder, BytesDecoder } from "./codec/bytes.js";
export {
  DEFAULT_MAX_LINE_LENGTH,
  type Decoder,
  type Delimiter,
  DelimiterDecoder,
  type DelimiterOptions,
} from "./codec/delimiter.js";
export { LineDecoder, type LineEnding, type LineOptions } from "./codec/line.js";
export { type ConnectOptions, connect } from "./connect.js";
export {
  ERROR_CODES,
  FrameTooLongError,
  IncompleteReadError,
  SocketError,
  type SocketErrorCode,
  type SockitErrorCode,
} from "./errors.js";
export { DEFAULT_READ_HIGH_WATER_MARK, type ReadOptions } from "./reader.js";
export { ReceiveBuffer } from "./receive-buffer.js";
export {
  type ConnectionHandler,
  type ListenOptions,
  listen,
  Server,
  type ServerEvents,
} from "./server.js";
export {
  type CloseInfo,
  type SendOptions,
  Socket,
  type SocketEvents,
  type SocketInfo,
  type WriteCallback,
} from "./socket.js";
export type { SocketOptions } from "./socket-options.js";

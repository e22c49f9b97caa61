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
  type InterfaceAddress,
  networkInterfaces,
  parseLocal,
  parseTarget,
  type ResolvedAddress,
  resolve,
  type TargetInput,
  type TcpEndpoint,
  type UnixEndpoint,
} from "./address.js";
export { availableDecoder, BytesDecoder, BytesSkipper } from "./codec/bytes.js";
export {
  DEFAULT_MAX_LINE_LENGTH,
  type Decoder,
  type Delimiter,
  DelimiterDecoder,
  type DelimiterOptions,
  DelimiterSkipper,
} from "./codec/delimiter.js";
export { encodeFrame, type FrameOptions, frameDecoder } from "./codec/frame.js";
export {
  DEFAULT_MAX_FRAME_LENGTH,
  encodeLengthPrefixed,
  type LengthFieldWidth,
  LengthPrefixedDecoder,
  type LengthPrefixOptions,
} from "./codec/length.js";
export { LineDecoder, type LineEnding, type LineOptions } from "./codec/line.js";
export {
  encodeVarint,
  encodeVarintLength,
  MAX_VARINT_BYTES,
  VarintDecoder,
  type VarintOptions,
} from "./codec/varint.js";
export { type ConnectOptions, connect } from "./connect.js";
export {
  type Datagram,
  type DatagramEvents,
  type DatagramInfo,
  type DatagramOptions,
  type DatagramPeer,
  DatagramSocket,
  type DatagramType,
  MAX_DATAGRAM_IPV4,
  MAX_DATAGRAM_IPV6,
  openDatagram,
} from "./datagram.js";
export {
  ERROR_CODES,
  FrameTooLongError,
  IncompleteReadError,
  SocketError,
  type SocketErrorCode,
  type SocketErrorDetails,
  type SockitErrorCode,
  SYSTEM_ERROR_CODES,
  type SystemErrorCode,
} from "./errors.js";
export type { IterateOptions, OnOverflow } from "./iterate.js";
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
  type LinesOptions,
  type SendComplete,
  type SendFromOptions,
  type SendOptions,
  type SendProgress,
  type SendSource,
  Socket,
  type SocketEvents,
  type SocketInfo,
  type StartTlsOptions,
  type TextOptions,
  type WriteCallback,
} from "./socket.js";
export type { SocketOptions } from "./socket-options.js";
export {
  convertEol,
  decodeText,
  EolConverter,
  type EolStyle,
  type InvalidText,
  type TextEncoding,
} from "./text.js";
export {
  type PeerCertificate,
  type PemSource,
  type TlsClientOptions,
  TlsError,
  type TlsIdentity,
  type TlsInfo,
  type TlsServerOptions,
} from "./tls.js";
export {
  type ToReadableStreamOptions,
  toReadableStream,
  toWritableStream,
} from "./web-streams.js";

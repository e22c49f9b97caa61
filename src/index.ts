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
  type TargetInput,
  type TcpEndpoint,
  type UnixEndpoint,
} from "./address.js";
export { type AdoptOptions, adopt } from "./adopt.js";
export { availableDecoder, BytesDecoder, BytesSkipper } from "./codec/bytes.js";
export type { Decoder } from "./codec/decoder.js";
export {
  DEFAULT_MAX_LINE_LENGTH,
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
export { type Defaults, getDefaults, setDefaults } from "./defaults.js";
export { CHANNELS } from "./diagnostics.js";
export {
  ConnectionLostError,
  ERROR_CODES,
  FrameTooLongError,
  IncompleteReadError,
  SocketError,
  type SocketErrorCode,
  type SocketErrorDetails,
  type SockitErrorCode,
  SYSTEM_ERROR_CODES,
  type SystemErrorCode,
  TlsError,
} from "./errors.js";
export type { FrameHandlerOptions, TransientOption } from "./frame-sink.js";
export type { IterateOptions, OnOverflow } from "./iterate.js";
export type { LineHandlerOptions } from "./line-sink.js";
export { listen } from "./listen.js";
export { BIND_ATTEMPTS, type BoundAddress } from "./listen-all.js";
export {
  DEFAULT_LOOKUP_NAMES_TIMEOUT,
  type EndpointNames,
  type LookupNamesOptions,
  type SocketNames,
} from "./lookup-names.js";
export { DEFAULT_PROXY_TIMEOUT, type ProxyOptions } from "./proxy/env.js";
export { ProxyError, type ProxyErrorDetails } from "./proxy/error.js";
export type { ProxyListenOptions } from "./proxy-protocol/accept.js";
export {
  encodeProxyHeader,
  type ProxyEndpointInit,
  type ProxyHeaderInit,
  type ProxySslTlvInit,
  type ProxyTlvsInit,
} from "./proxy-protocol/encode.js";
export { parseProxyHeader } from "./proxy-protocol/parse.js";
export {
  DEFAULT_PROXY_HEADER_TIMEOUT,
  MAX_V1_LENGTH,
  MAX_V2_LENGTH,
  type ProxyCommand,
  type ProxyEndpoint,
  type ProxyHeader,
  ProxyHeaderError,
  type ProxyHeaderReason,
  type ProxyInfo,
  type ProxyParseResult,
  type ProxyProtocolMode,
  type ProxySslTlv,
  type ProxyTlv,
  type ProxyTlvs,
  type ProxyTransport,
} from "./proxy-protocol/types.js";
export type { ReadOptions, TaggedReadOptions } from "./read-options.js";
export { DEFAULT_READ_HIGH_WATER_MARK } from "./reader.js";
export { ReceiveBuffer } from "./receive-buffer.js";
export {
  backoffDelay,
  type ReconnectInfo,
  type ReconnectingEvent,
  type ReconnectOptions,
} from "./reconnect.js";
export { findSocket, type Identified, openSockets } from "./registry.js";
export {
  type ResolveCallback,
  type ResolvedAddress,
  type ResolveOptions,
  resolve,
} from "./resolve.js";
export { reusePortUnsupported } from "./reuse-port.js";
export {
  type ConnectionHandler,
  type DropInfo,
  type DropReason,
  type ListenOptions,
  Server,
  type ServerEvents,
  type ServerStats,
} from "./server.js";
export type {
  BroadcastCallback,
  BroadcastFailure,
  BroadcastResult,
  ServerReadWhat,
} from "./server-io.js";
export { type ServiceProtocol, servicePort } from "./services.js";
export type { MessageHandlerOptions } from "./sink.js";
export {
  formatSockaddr,
  parseSockaddr,
  type SockaddrEndpoint,
  type SockaddrInput,
  type SockaddrLayout,
} from "./sockaddr.js";
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
export { SocketMessages } from "./socket-messages.js";
export type { SocketOptions } from "./socket-options.js";
export { SocketReads } from "./socket-reads.js";
export {
  convertEol,
  decodeText,
  EolConverter,
  type EolStyle,
  encodeText,
  type InvalidText,
  type SocketEncoding,
  type TextEncoding,
} from "./text.js";
export type {
  PeerCertificate,
  PemSource,
  TlsClientOptions,
  TlsIdentity,
  TlsInfo,
  TlsServerOptions,
} from "./tls.js";
export {
  type StreamReadSource,
  type StreamWriteTarget,
  type ToReadableStreamOptions,
  toReadableStream,
  toWritableStream,
} from "./web-streams.js";

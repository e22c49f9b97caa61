/**
 * The system codes a {@link SocketError} can carry, and how a code from Node becomes one.
 * Node names its system errors after libuv's (`uv_err_name()`: `ECONNREFUSED`, `EAI_AGAIN`,
 * …) plus `ENOTFOUND` for a name that does not resolve; sockit passes those through as they
 * are. A few codes differ between Node versions or say the same thing as one of sockit's own
 * codes; {@link toErrorCode} maps them, so the code a user sees does not depend on the
 * runtime. `docs/errors.md` lists every code here, and a test compares the two.
 *
 * @module
 */
import type { SockitErrorCode } from "./errors.js";

/**
 * Every system code sockit passes through unchanged: libuv's error names (Node's system
 * errors; `ECANCELED` is not among them: sockit reports it as `ERR_SOCKET_CLOSED`, as
 * docs/errors.md explains) and Node's `ENOTFOUND`.
 */
export const SYSTEM_ERROR_CODES = [
  "E2BIG",
  "EACCES",
  "EADDRINUSE",
  "EADDRNOTAVAIL",
  "EAFNOSUPPORT",
  "EAGAIN",
  "EAI_ADDRFAMILY",
  "EAI_AGAIN",
  "EAI_BADFLAGS",
  "EAI_BADHINTS",
  "EAI_CANCELED",
  "EAI_FAIL",
  "EAI_FAMILY",
  "EAI_MEMORY",
  "EAI_OVERFLOW",
  "EAI_PROTOCOL",
  "EAI_SERVICE",
  "EAI_SOCKTYPE",
  "EALREADY",
  "EBADF",
  "EBUSY",
  "ECHARSET",
  "ECONNABORTED",
  "ECONNREFUSED",
  "ECONNRESET",
  "EDESTADDRREQ",
  "EEXIST",
  "EFAULT",
  "EFBIG",
  "EFTYPE",
  "EHOSTDOWN",
  "EHOSTUNREACH",
  "EILSEQ",
  "EINTR",
  "EINVAL",
  "EIO",
  "EISCONN",
  "EISDIR",
  "ELOOP",
  "EMFILE",
  "EMLINK",
  "EMSGSIZE",
  "ENAMETOOLONG",
  "ENETDOWN",
  "ENETUNREACH",
  "ENFILE",
  "ENOBUFS",
  "ENODATA",
  "ENODEV",
  "ENOENT",
  "ENOEXEC",
  "ENOMEM",
  "ENONET",
  "ENOPROTOOPT",
  "ENOSPC",
  "ENOSYS",
  "ENOTCONN",
  "ENOTDIR",
  "ENOTEMPTY",
  "ENOTFOUND",
  "ENOTSOCK",
  "ENOTSUP",
  "ENOTTY",
  "ENXIO",
  "EOF",
  "EOVERFLOW",
  "EPERM",
  "EPIPE",
  "EPROTO",
  "EPROTONOSUPPORT",
  "EPROTOTYPE",
  "ERANGE",
  "EREMOTEIO",
  "EROFS",
  "ESHUTDOWN",
  "ESOCKTNOSUPPORT",
  "ESPIPE",
  "ESRCH",
  "ETIMEDOUT",
  "ETXTBSY",
  "EUNATCH",
  "EXDEV",
] as const;

/** A system code passed through from Node: one of {@link SYSTEM_ERROR_CODES}. */
export type SystemErrorCode = (typeof SYSTEM_ERROR_CODES)[number];

const SYSTEM = new Set<string>(SYSTEM_ERROR_CODES);

/**
 * Node codes that sockit reports as another code. `ECANCELED` is how Node 22 and later fail
 * a write still in flight when its socket is destroyed (Node 20 says `ERR_SOCKET_CLOSED`);
 * Node's stream and argument codes say what sockit's own codes say.
 */
const RENAMED: Readonly<Record<string, SockitErrorCode | SystemErrorCode>> = {
  ECANCELED: "ERR_SOCKET_CLOSED",
  ERR_STREAM_DESTROYED: "ERR_SOCKET_CLOSED",
  ERR_STREAM_WRITE_AFTER_END: "ERR_SOCKET_CLOSED",
  ERR_STREAM_ALREADY_FINISHED: "ERR_SOCKET_CLOSED",
  ERR_SOCKET_DGRAM_NOT_RUNNING: "ERR_SOCKET_CLOSED",
  ERR_SOCKET_BAD_PORT: "ERR_INVALID_ADDRESS",
  ERR_INVALID_IP_ADDRESS: "ERR_INVALID_ADDRESS",
  ERR_INVALID_ADDRESS_FAMILY: "ERR_INVALID_ADDRESS",
  ERR_INVALID_ARG_TYPE: "ERR_INVALID_ARGUMENT",
  ERR_INVALID_ARG_VALUE: "ERR_INVALID_ARGUMENT",
  ERR_OUT_OF_RANGE: "ERR_INVALID_ARGUMENT",
  ERR_SOCKET_BAD_BUFFER_SIZE: "ERR_INVALID_ARGUMENT",
  ERR_SOCKET_CONNECTION_TIMEOUT: "ETIMEDOUT",
  EAI_NONAME: "ENOTFOUND",
  EAI_NODATA: "ENOTFOUND",
};

/**
 * The code a {@link SocketError} carries for an error Node (or Bun, or Deno) reported with
 * `code`: a code of sockit's own or a system code as it is, a renamed code (see above) as
 * sockit's, and anything else (no code, an unknown code) as `ERR_INVALID_STATE`, whose
 * `cause` keeps the original error.
 */
export function toErrorCode(
  code: unknown,
  own: Readonly<Record<string, unknown>>,
): SockitErrorCode | SystemErrorCode {
  if (typeof code !== "string") return "ERR_INVALID_STATE";
  if (SYSTEM.has(code)) return code as SystemErrorCode;
  if (Object.hasOwn(own, code)) return code as SockitErrorCode;
  return RENAMED[code] ?? "ERR_INVALID_STATE";
}

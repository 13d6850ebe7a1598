/** Network errors in plain words: what happened, to what, and what to do. */

export function explainNetworkError(
  error: unknown,
  url: string,
): { code: string; message: string } {
  const err = error as { code?: string; message?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code ?? "ERROR";
  const { host, hostname } = safeUrl(url);
  switch (code) {
    case "ECONNREFUSED":
      return { code, message: `nothing listens on ${host} — is your receiver running?` };
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return { code, message: `cannot resolve ${hostname} — check the host name in the URL` };
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
      return { code, message: `${host} closed the connection before answering` };
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return { code, message: `no route to ${host} — is the network up?` };
    case "ETIMEDOUT":
    case "UND_ERR_CONNECT_TIMEOUT":
      return { code, message: `could not connect to ${host} in time` };
    case "UND_ERR_HEADERS_OVERFLOW":
      return { code, message: `${host} answered with headers too large to read` };
    case "HPE_INVALID_CONSTANT":
    case "HPE_INVALID_HEADER_TOKEN":
    case "UND_ERR_INFO":
      return { code, message: `${host} did not answer with valid HTTP (is it an HTTPS port?)` };
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "CERT_HAS_EXPIRED":
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return {
        code,
        message: `TLS certificate of ${hostname} not accepted: ${err.message ?? code}`,
      };
    default:
      return { code, message: err.message ?? String(error) };
  }
}

function safeUrl(url: string): { host: string; hostname: string } {
  try {
    const u = new URL(url);
    return { host: u.host, hostname: u.hostname };
  } catch {
    return { host: url, hostname: url };
  }
}

#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "util/expected.hpp"
#include "util/file.hpp"

typedef struct ssl_st SSL;
typedef struct ssl_ctx_st SSL_CTX;

namespace privsentry {

struct TlsOptions {
  std::string ca_file;    // empty: the system's trust store
  std::string cert_file;  // client certificate, with key_file
  std::string key_file;
  std::string server_name;  // what the certificate must name; empty: the host
  bool insecure = false;    // skip verification (never the default)
};

// A TCP connection, optionally TLS (OpenSSL, TLS 1.2 or later, peer and
// host name verified unless insecure), with timeouts on every step.
class TcpStream {
 public:
  static Expected<std::unique_ptr<TcpStream>> connect(const std::string& host, std::uint16_t port,
                                                      std::chrono::milliseconds timeout, const TlsOptions* tls);
  ~TcpStream();
  TcpStream(const TcpStream&) = delete;
  TcpStream& operator=(const TcpStream&) = delete;

  Expected<bool> write_all(std::string_view data, std::chrono::milliseconds timeout);
  // True if the peer has closed or reset the connection (checked without
  // blocking), so a dead connection is not written into.
  bool peer_closed();

 private:
  TcpStream() = default;

  UniqueFd fd_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

}  // namespace privsentry

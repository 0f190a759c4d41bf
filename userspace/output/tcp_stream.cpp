#include "output/tcp_stream.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace privsentry {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

bool wait_fd(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  while (true) {
    const int n = ::poll(&p, 1, remaining_ms(deadline));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    return n > 0;
  }
}

std::string openssl_error(const char* what) {
  std::string text = what;
  unsigned long code = 0;
  while ((code = ERR_get_error()) != 0) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    text += ": ";
    text += buf;
  }
  return text;
}

}  // namespace

TcpStream::~TcpStream() {
  if (ssl_ != nullptr) {
    SSL_free(ssl_);
  }
  if (ctx_ != nullptr) {
    SSL_CTX_free(ctx_);
  }
}

Expected<std::unique_ptr<TcpStream>> TcpStream::connect(const std::string& host, std::uint16_t port,
                                                        std::chrono::milliseconds timeout, const TlsOptions* tls) {
  const auto deadline = Clock::now() + timeout;
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int gai = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (gai != 0) {
    return Error{"resolve " + where + ": " + gai_strerror(gai)};
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, freeaddrinfo);

  std::unique_ptr<TcpStream> stream(new TcpStream());
  std::string last_error = "no address";
  for (const addrinfo* a = addresses.get(); a != nullptr; a = a->ai_next) {
    UniqueFd fd(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
    if (!fd.valid()) {
      last_error = errno_text(errno);
      continue;
    }
    if (::connect(fd.get(), a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      last_error = errno_text(errno);
      continue;
    }
    if (!wait_fd(fd.get(), POLLOUT, deadline)) {
      last_error = "timed out";
      continue;
    }
    int so_error = 0;
    socklen_t len = sizeof(so_error);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
      last_error = errno_text(so_error);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    stream->fd_ = std::move(fd);
    break;
  }
  if (!stream->fd_.valid()) {
    return Error{"connect " + where + ": " + last_error};
  }
  if (tls == nullptr) {
    return stream;
  }

  stream->ctx_ = SSL_CTX_new(TLS_client_method());
  if (stream->ctx_ == nullptr) {
    return Error{openssl_error("TLS context")};
  }
  SSL_CTX_set_min_proto_version(stream->ctx_, TLS1_2_VERSION);
  if (!tls->ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(stream->ctx_, tls->ca_file.c_str(), nullptr) != 1) {
      return Error{openssl_error(("TLS CA file " + tls->ca_file).c_str())};
    }
  } else if (SSL_CTX_set_default_verify_paths(stream->ctx_) != 1) {
    return Error{openssl_error("TLS system trust store")};
  }
  if (!tls->cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(stream->ctx_, tls->cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(stream->ctx_, tls->key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(stream->ctx_) != 1) {
      return Error{openssl_error(("TLS client certificate " + tls->cert_file).c_str())};
    }
  }
  SSL_CTX_set_verify(stream->ctx_, tls->insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  stream->ssl_ = SSL_new(stream->ctx_);
  if (stream->ssl_ == nullptr) {
    return Error{openssl_error("TLS session")};
  }
  const std::string name = tls->server_name.empty() ? host : tls->server_name;
  // SNI; SSL_set_tlsext_host_name() is this call behind a C cast.
  SSL_ctrl(stream->ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(name.c_str()));
  if (!tls->insecure && SSL_set1_host(stream->ssl_, name.c_str()) != 1) {
    return Error{openssl_error("TLS host name")};
  }
  SSL_set_fd(stream->ssl_, stream->fd_.get());
  while (true) {
    const int rc = SSL_connect(stream->ssl_);
    if (rc == 1) {
      break;
    }
    const int err = SSL_get_error(stream->ssl_, rc);
    if ((err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) &&
        wait_fd(stream->fd_.get(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
      continue;
    }
    const long verify = SSL_get_verify_result(stream->ssl_);
    if (verify != X509_V_OK) {
      return Error{"TLS handshake with " + where +
                   ": certificate not accepted: " + X509_verify_cert_error_string(verify)};
    }
    return Error{openssl_error(("TLS handshake with " + where).c_str())};
  }
  // In TLS 1.3 the server judges the client's certificate after the client
  // has finished its handshake; a refusal arrives as an alert just after.
  // Wait briefly for it, so a refused session is an error now and not a
  // silent loss of the first batch.
  const auto settle = std::min(deadline, Clock::now() + std::chrono::milliseconds(200));
  while (true) {
    char byte = 0;
    const int rc = SSL_peek(stream->ssl_, &byte, 1);
    if (rc > 0) {
      break;  // the server talks first: it accepted us
    }
    const int err = SSL_get_error(stream->ssl_, rc);
    if (err == SSL_ERROR_WANT_READ) {
      if (!wait_fd(stream->fd_.get(), POLLIN, settle)) {
        break;  // quiet: accepted
      }
      continue;
    }
    return Error{openssl_error(("TLS session with " + where + " refused by the server").c_str())};
  }
  return stream;
}

Expected<bool> TcpStream::write_all(std::string_view data, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::size_t written = 0;
  while (written < data.size()) {
    if (ssl_ != nullptr) {
      const int n = SSL_write(ssl_, data.data() + written,
                              static_cast<int>(std::min<std::size_t>(data.size() - written, 1U << 20U)));
      if (n > 0) {
        written += static_cast<std::size_t>(n);
        continue;
      }
      const int err = SSL_get_error(ssl_, n);
      if ((err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) &&
          wait_fd(fd_.get(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
        continue;
      }
      return Error{openssl_error("TLS write")};
    }
    const ssize_t n = ::send(fd_.get(), data.data() + written, data.size() - written, MSG_NOSIGNAL);
    if (n >= 0) {
      written += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) {
      continue;
    }
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd_.get(), POLLOUT, deadline)) {
      continue;
    }
    return Error{"write: " + (errno == EAGAIN ? std::string("timed out") : errno_text(errno))};
  }
  return true;
}

bool TcpStream::peer_closed() {
  pollfd p{fd_.get(), POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) {
    return false;
  }
  if ((p.revents & (POLLERR | POLLHUP)) != 0) {
    return true;
  }
  // Readable on a connection we only write to: an EOF or a reset (a syslog
  // receiver sends nothing).
  char byte = 0;
  const ssize_t n = ::recv(fd_.get(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

}  // namespace privsentry

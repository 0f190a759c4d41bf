#include "e2e/support/loopback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

#include "e2e/support/e2e_support.hpp"

namespace privsentry::e2e {

std::uint16_t free_port(bool udp) {
  const int fd = ::socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string http_get(std::uint16_t port, const std::string& path) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return {};
  }
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string response;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::recv(fd, buf, sizeof(buf), 0)) > 0) {
    response.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const auto body = response.find("\r\n\r\n");
  return body == std::string::npos ? std::string() : response.substr(body + 4);
}

std::filesystem::path temp_dir(const std::string& name) {
  static std::atomic<unsigned> counter{0};
  auto dir = std::filesystem::temp_directory_path() /
             ("privsentry-e2e-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TestCertificates make_certificates(const std::filesystem::path& dir) {
  TestCertificates certs;
  certs.ca = dir / "ca.pem";
  certs.server_cert = dir / "server.pem";
  certs.server_key = dir / "server.key";
  certs.client_cert = dir / "client.pem";
  certs.client_key = dir / "client.key";
  const auto ca_key = dir / "ca.key";
  std::ofstream(dir / "server.ext") << "subjectAltName=DNS:privsentry-test-siem,IP:127.0.0.1\n"
                                    << "extendedKeyUsage=serverAuth\n";
  std::ofstream(dir / "client.ext") << "extendedKeyUsage=clientAuth\n";
  const std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=privsentry test CA",
       "-keyout", ca_key.string(), "-out", certs.ca.string()},
      {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=privsentry-test-siem", "-keyout",
       certs.server_key.string(), "-out", (dir / "server.csr").string()},
      {"openssl", "x509", "-req", "-in", (dir / "server.csr").string(), "-CA", certs.ca.string(), "-CAkey",
       ca_key.string(), "-CAcreateserial", "-days", "2", "-extfile", (dir / "server.ext").string(), "-out",
       certs.server_cert.string()},
      {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=privsentry-sensor", "-keyout",
       certs.client_key.string(), "-out", (dir / "client.csr").string()},
      {"openssl", "x509", "-req", "-in", (dir / "client.csr").string(), "-CA", certs.ca.string(), "-CAkey",
       ca_key.string(), "-CAcreateserial", "-days", "2", "-extfile", (dir / "client.ext").string(), "-out",
       certs.client_cert.string()},
  };
  for (const auto& step : steps) {
    const auto result = run_command(step);
    if (result.exit_code != 0) {
      certs.error = "openssl failed: " + result.err;
      return certs;
    }
  }
  return certs;
}

}  // namespace privsentry::e2e

#include "e2e/support/http_receiver.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include <nlohmann/json.hpp>

namespace privsentry::e2e {
namespace {

// Reads and writes over a plain socket or TLS.
struct Connection {
  int fd;
  SSL* ssl = nullptr;
  std::string buffer;

  bool fill() {
    pollfd p{fd, POLLIN, 0};
    if (ssl == nullptr || SSL_pending(ssl) == 0) {
      if (::poll(&p, 1, 5000) <= 0) {
        return false;
      }
    }
    char chunk[16384];
    const int n =
        ssl != nullptr ? SSL_read(ssl, chunk, sizeof(chunk)) : static_cast<int>(::recv(fd, chunk, sizeof(chunk), 0));
    if (n <= 0) {
      return false;
    }
    buffer.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
  bool send_all(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const int n = ssl != nullptr ? SSL_write(ssl, data.data() + sent, static_cast<int>(data.size() - sent))
                                   : static_cast<int>(::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL));
      if (n <= 0) {
        return false;
      }
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
};

std::string answer_for(const HttpRequest& request) {
  if (request.path == "/services/collector/event") {
    return R"({"text":"Success","code":0})";
  }
  if (request.path == "/_bulk") {
    nlohmann::json items = nlohmann::json::array();
    std::istringstream lines(request.body);
    std::string line;
    bool action = true;
    while (std::getline(lines, line)) {
      if (line.empty()) {
        continue;
      }
      if (action) {
        items.push_back({{"create", {{"status", 201}}}});
      }
      action = !action;
    }
    return nlohmann::json{{"took", 1}, {"errors", false}, {"items", items}}.dump();
  }
  return "ok";
}

}  // namespace

HttpReceiver::HttpReceiver(std::uint16_t port, const std::filesystem::path& cert, const std::filesystem::path& key)
    : port_(port) {
  if (!cert.empty()) {
    ctx_ = SSL_CTX_new(TLS_server_method());
    SSL_CTX_use_certificate_chain_file(ctx_, cert.c_str());
    SSL_CTX_use_PrivateKey_file(ctx_, key.c_str(), SSL_FILETYPE_PEM);
  }
  start();
}

HttpReceiver::~HttpReceiver() {
  stop();
  if (ctx_ != nullptr) {
    SSL_CTX_free(ctx_);
  }
}

void HttpReceiver::start() {
  if (running_) {
    return;
  }
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  ::setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port_);
  if (::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(listener_, 16) != 0) {
    ::close(listener_);
    listener_ = -1;
    return;
  }
  running_ = true;
  thread_ = std::thread([this] { serve(); });
}

void HttpReceiver::stop() {
  if (!running_) {
    return;
  }
  running_ = false;
  ::shutdown(listener_, SHUT_RDWR);
  if (thread_.joinable()) {
    thread_.join();
  }
  ::close(listener_);
  listener_ = -1;
  for (auto& client : clients_) {
    client.join();
  }
  clients_.clear();
}

std::vector<HttpRequest> HttpReceiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void HttpReceiver::serve() {
  while (running_) {
    pollfd p{listener_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) {
      continue;
    }
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      continue;
    }
    clients_.emplace_back([this, client] { handle(client); });
  }
}

void HttpReceiver::handle(int client) {
  Connection c{client, nullptr, {}};
  if (ctx_ != nullptr) {
    c.ssl = SSL_new(ctx_);
    SSL_set_fd(c.ssl, client);
    if (SSL_accept(c.ssl) != 1) {
      SSL_free(c.ssl);
      ::close(client);
      return;
    }
  }
  // Keep-alive: serve requests until the client closes or the receiver stops.
  while (running_) {
    std::size_t end = std::string::npos;
    while ((end = c.buffer.find("\r\n\r\n")) == std::string::npos) {
      if (!running_ || !c.fill()) {
        goto done;
      }
    }
    HttpRequest request;
    std::istringstream head(c.buffer.substr(0, end));
    std::string line;
    std::getline(head, line);
    std::istringstream first(line);
    first >> request.method >> request.path;
    std::size_t length = 0;
    while (std::getline(head, line)) {
      if (!line.empty() && line.back() == '\r') {
        line.pop_back();
      }
      const auto colon = line.find(':');
      if (colon == std::string::npos) {
        continue;
      }
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char ch) { return std::tolower(ch); });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      request.headers[name] = value;
      if (name == "content-length") {
        length = std::stoul(value);
      }
    }
    c.buffer.erase(0, end + 4);
    while (c.buffer.size() < length) {
      if (!c.fill()) {
        goto done;
      }
    }
    request.body = c.buffer.substr(0, length);
    c.buffer.erase(0, length);
    const std::string body = answer_for(request);
    const std::string response =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
    // Kept only once answered, as a real receiver that has stored it.
    if (!c.send_all(response)) {
      break;
    }
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(request));
  }
done:
  if (c.ssl != nullptr) {
    SSL_free(c.ssl);
  }
  ::close(client);
}

}  // namespace privsentry::e2e

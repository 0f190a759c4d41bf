#include "e2e/support/hostile_docker_engine.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

namespace privsentry::e2e {
namespace {

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string ok_json(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nApi-Version: 1.41\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

HostileDockerEngine::HostileDockerEngine(std::filesystem::path socket) : socket_(std::move(socket)) {
  std::filesystem::remove(socket_);
  listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_.c_str(), sizeof(addr.sun_path) - 1);
  if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::listen(listener_, 64) != 0) {
    throw std::runtime_error("hostile engine: cannot listen on " + socket_.string());
  }
  thread_ = std::thread([this] { serve(); });
}

HostileDockerEngine::~HostileDockerEngine() {
  running_ = false;
  ::shutdown(listener_, SHUT_RDWR);
  thread_.join();
  for (auto& client : clients_) {
    client.join();
  }
  ::close(listener_);
  std::filesystem::remove(socket_);
}

std::vector<std::string> HostileDockerEngine::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

bool HostileDockerEngine::wait_readable(int fd) const {
  while (running_) {
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, 100);
    if (ready > 0) {
      return true;
    }
  }
  return false;
}

void HostileDockerEngine::serve() {
  while (running_) {
    if (!wait_readable(listener_)) {
      return;
    }
    const int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) {
      continue;
    }
    clients_.emplace_back([this, client] {
      handle(client);
      ::close(client);
    });
  }
}

// One request per connection is all the sensor's client sends.
void HostileDockerEngine::handle(int client) {
  std::string request;
  char buf[4096];
  while (request.find("\r\n\r\n") == std::string::npos) {
    if (!wait_readable(client)) {
      return;
    }
    const ssize_t n = ::recv(client, buf, sizeof(buf), 0);
    if (n <= 0) {
      return;
    }
    request.append(buf, static_cast<std::size_t>(n));
  }
  const std::string line = request.substr(0, request.find("\r\n"));
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(line);
  }
  const auto path = line.substr(line.find(' ') + 1, line.rfind(' ') - line.find(' ') - 1);
  if (path == "/version" || path.rfind("/v1.", 0) == 0) {
    send_all(client, ok_json(R"({"Version":"hostile-1.0","ApiVersion":"1.41"})"));
    return;
  }
  if (path.rfind("/containers/json", 0) == 0) {
    send_all(client, ok_json("[]"));
    return;
  }
  if (path.rfind("/events", 0) == 0) {
    // Open and quiet until the sensor or the test goes away.
    send_all(client, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n");
    while (running_) {
      pollfd p{client, POLLIN | POLLRDHUP, 0};
      if (::poll(&p, 1, 100) > 0) {
        return;  // the client hung up
      }
    }
    return;
  }
  switch (mode_.load()) {
    case Inspect::kStall:
      while (running_) {
        pollfd p{client, POLLRDHUP, 0};
        if (::poll(&p, 1, 100) > 0) {
          return;
        }
      }
      return;
    case Inspect::kTruncated:
      send_all(client,
               "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n"
               R"({"Id":"0123","HostConfig":{"Privileged":tr)");
      return;
    case Inspect::kHuge: {
      send_all(client, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n");
      const std::string chunk(1U << 16U, '[');
      for (std::uint64_t sent = 0; running_ && sent < (1ULL << 30U); sent += chunk.size()) {
        if (!send_all(client, chunk)) {
          return;
        }
        huge_sent_ += chunk.size();
      }
      return;
    }
    case Inspect::kDeep:
      send_all(client, ok_json(std::string(100000, '[') + std::string(100000, ']')));
      return;
    case Inspect::kNotJson:
      send_all(client, ok_json("<html>\x1b[2J\x1b[31mnot json\r\n\x07</html>"));
      return;
  }
}

}  // namespace privsentry::e2e

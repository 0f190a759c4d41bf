#include "pipeline/live_socket_server.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "sinks/native_json_encoder.hpp"

namespace privsentry {
namespace {

constexpr std::size_t kMaxClientBacklog = 16U << 20U;

}  // namespace

LiveSocketServer::LiveSocketServer(std::filesystem::path path, LiveFeed& feed) : path_(std::move(path)), feed_(feed) {}

Expected<std::unique_ptr<LiveSocketServer>> LiveSocketServer::start(const std::filesystem::path& path, LiveFeed& feed) {
  std::unique_ptr<LiveSocketServer> server(new LiveSocketServer(path, feed));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof(addr.sun_path)) {
    return Error{"--socket " + path.string() + ": the path is too long for a unix socket"};
  }
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Error{"--socket " + path.string() + ": exists and is not a socket"};
    }
    ::unlink(path.c_str());  // left by a sensor that did not stop cleanly
  }
  server->listener_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  // Created owner-only from the start, not chmod'ed after a window.
  const mode_t old_umask = ::umask(077);
  const int bound = ::bind(server->listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  const int bind_errno = errno;
  ::umask(old_umask);
  if (!server->listener_.valid() || bound != 0 || ::listen(server->listener_.get(), 8) != 0) {
    return Error{"--socket " + path.string() + ": " + errno_text(bound != 0 ? bind_errno : errno)};
  }
  server->wake_fd_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  server->thread_ = std::thread([raw = server.get()] { raw->serve(); });
  return server;
}

LiveSocketServer::~LiveSocketServer() {
  {
    std::lock_guard lock(clients_mutex_);
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) {
    thread_.join();
  }
  for (auto& [fd, client] : clients_) {
    feed_.unsubscribe(client->subscription);
  }
  ::unlink(path_.c_str());
}

void LiveSocketServer::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto n = ::write(wake_fd_.get(), &one, sizeof(one));
}

void LiveSocketServer::accept_client() {
  UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!fd.valid()) {
    return;
  }
  ucred peer{};
  socklen_t length = sizeof(peer);
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0 ||
      (peer.uid != 0 && peer.uid != ::geteuid())) {
    spdlog::warn("live feed: refused a client of uid {} (pid {})", peer.uid, peer.pid);
    return;
  }
  auto client = std::make_shared<Client>();
  client->fd = std::move(fd);
  const int key = client->fd.get();
  std::weak_ptr<Client> weak = client;
  client->subscription = feed_.subscribe([this, weak](const nlohmann::json& message) {
    auto c = weak.lock();
    if (!c) {
      return;
    }
    {
      std::lock_guard lock(c->mutex);
      if (c->pending.size() > kMaxClientBacklog) {
        c->overflowed = true;
        return;
      }
      c->pending += dump_safe(message);
      c->pending.push_back('\n');
    }
    wake();
  });
  spdlog::info("live feed: a client attached (pid {})", peer.pid);
  std::lock_guard lock(clients_mutex_);
  clients_.emplace(key, std::move(client));
}

void LiveSocketServer::serve() {
  while (true) {
    std::vector<pollfd> fds = {{listener_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    std::vector<std::shared_ptr<Client>> order;
    {
      std::lock_guard lock(clients_mutex_);
      if (stopping_) {
        return;
      }
      for (auto& [key, client] : clients_) {
        std::lock_guard client_lock(client->mutex);
        fds.push_back({client->fd.get(), static_cast<short>(client->pending.empty() ? POLLIN : POLLIN | POLLOUT), 0});
        order.push_back(client);
      }
    }
    if (::poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) {
      return;
    }
    if ((fds[1].revents & POLLIN) != 0) {
      std::uint64_t value = 0;
      [[maybe_unused]] const auto n = ::read(wake_fd_.get(), &value, sizeof(value));
    }
    if ((fds[0].revents & POLLIN) != 0) {
      accept_client();
    }
    for (std::size_t i = 0; i < order.size(); ++i) {
      auto& client = order[i];
      const auto revents = fds[i + 2].revents;
      bool drop = (revents & (POLLERR | POLLHUP)) != 0;
      if ((revents & POLLIN) != 0) {
        char discard[256];
        const ssize_t n = ::recv(client->fd.get(), discard, sizeof(discard), MSG_DONTWAIT);
        drop = drop || n == 0;  // the client went away
      }
      if (!drop && (revents & POLLOUT) != 0) {
        std::lock_guard lock(client->mutex);
        const ssize_t n = ::send(client->fd.get(), client->pending.data(), client->pending.size(), MSG_NOSIGNAL);
        if (n > 0) {
          client->pending.erase(0, static_cast<std::size_t>(n));
        } else if (n < 0 && errno != EAGAIN) {
          drop = true;
        }
      }
      {
        std::lock_guard lock(client->mutex);
        if (client->overflowed) {
          spdlog::warn("live feed: a client fell more than {} MiB behind; disconnected", kMaxClientBacklog >> 20U);
          drop = true;
        }
      }
      if (drop) {
        feed_.unsubscribe(client->subscription);
        std::lock_guard lock(clients_mutex_);
        clients_.erase(client->fd.get());
      }
    }
  }
}

}  // namespace privsentry

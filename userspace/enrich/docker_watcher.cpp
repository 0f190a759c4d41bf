#include "enrich/docker_watcher.hpp"

#include <spdlog/spdlog.h>

#include "util/text.hpp"

namespace privsentry {

DockerWatcher::DockerWatcher(DockerClient client, NotifyingQueue<DockerUpdate>& updates, ReconnectPolicy policy)
    : client_(std::move(client)), updates_(updates), policy_(policy), jitter_(std::random_device{}()) {}

DockerWatcher::~DockerWatcher() { stop(); }

void DockerWatcher::start() {
  requests_thread_ = std::jthread([this](const std::stop_token& stop) { requests_loop(stop); });
  events_thread_ = std::jthread([this](const std::stop_token& stop) { events_loop(stop); });
}

void DockerWatcher::stop() {
  events_thread_.request_stop();
  requests_thread_.request_stop();
  wake_.notify_all();
  if (events_thread_.joinable()) {
    events_thread_.join();
  }
  if (requests_thread_.joinable()) {
    requests_thread_.join();
  }
}

void DockerWatcher::request_inspect(const std::string& id) { enqueue(Request{false, id}); }

void DockerWatcher::enqueue(Request request) {
  {
    std::lock_guard lock(mutex_);
    if (!request.list && !queued_ids_.insert(request.id).second) {
      return;  // already queued
    }
    requests_.push_back(std::move(request));
  }
  wake_.notify_all();
}

std::chrono::milliseconds DockerWatcher::backoff(unsigned attempt) {
  const auto shift = std::min(attempt, 16U);
  const std::chrono::milliseconds delay =
      std::min<std::chrono::milliseconds>(policy_.initial * (1LL << shift), policy_.max);
  // +-20% so that a fleet of sensors does not reconnect in step.
  std::uniform_real_distribution<double> factor(0.8, 1.2);
  return std::chrono::milliseconds(static_cast<long long>(static_cast<double>(delay.count()) * factor(jitter_)));
}

void DockerWatcher::events_loop(const std::stop_token& stop) {
  unsigned attempt = 0;
  while (!stop.stop_requested()) {
    bool connected = false;
    const Error ended = client_.stream_events(
        [&] {
          connected = true;
          attempt = 0;
          auto version = client_.server_version();
          updates_.push(DockerUpdate{
              DockerUpdate::Kind::kConnected, {}, {}, version ? *version : std::string("unknown version")});
          enqueue(Request{true, {}});
        },
        [&](const Expected<DockerEvent>& event) {
          if (!event) {
            spdlog::warn("docker: skipped a bad /events line: {}", escape_for_terminal(event.error().message, 300));
            return;
          }
          if (event->type != "container" || !is_full_container_id(event->id)) {
            return;
          }
          if (event->action == "destroy") {
            updates_.push(DockerUpdate{DockerUpdate::Kind::kDestroyed, event->id, {}, {}});
          } else if (event->action == "create" || event->action == "start" || event->action == "update" ||
                     event->action == "rename" || event->action == "restart") {
            request_inspect(event->id);
          }
        },
        [&] { return stop.stop_requested(); });
    if (stop.stop_requested()) {
      return;
    }
    updates_.push(DockerUpdate{DockerUpdate::Kind::kDisconnected, {}, {}, ended.message});
    if (connected) {
      attempt = 0;
    }
    const auto delay = backoff(attempt++);
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, stop, delay, [] { return false; });
  }
}

void DockerWatcher::requests_loop(const std::stop_token& stop) {
  while (true) {
    Request request;
    {
      std::unique_lock lock(mutex_);
      if (!wake_.wait(lock, stop, [this] { return !requests_.empty(); })) {
        return;  // stop requested
      }
      request = std::move(requests_.front());
      requests_.pop_front();
      if (!request.list) {
        queued_ids_.erase(request.id);
      }
    }
    if (request.list) {
      auto ids = client_.list_running();
      if (!ids) {
        spdlog::warn("docker: cannot list containers: {}", ids.error().message);
        continue;
      }
      for (const auto& id : *ids) {
        request_inspect(id);
      }
      continue;
    }
    auto outcome = client_.inspect(request.id);
    switch (outcome.kind) {
      case InspectOutcome::Kind::kFound:
        updates_.push(DockerUpdate{DockerUpdate::Kind::kInspected, request.id, std::move(outcome.info), {}});
        break;
      case InspectOutcome::Kind::kNotFound:
        updates_.push(DockerUpdate{DockerUpdate::Kind::kNotFound, request.id, {}, {}});
        break;
      case InspectOutcome::Kind::kFailed:
        updates_.push(DockerUpdate{DockerUpdate::Kind::kInspectFailed, request.id, {}, outcome.error});
        break;
    }
  }
}

}  // namespace privsentry
